-- Drop the registration functions nothing calls any more: `schemata_register()` (0002, one
-- registration per call) and `schemata_register_group()` (0003, groups with live-version
-- counts), both replaced by `schemata_register_group2()` (0004), which the server's group
-- writers call. Applied migrations stay as they were (they are checksummed); this one only
-- removes what they created. No `IF EXISTS`: a signature that did not match would leave the
-- function behind, so it fails instead.

DROP FUNCTION schemata_register(
    BIGINT, TEXT, TEXT, BIGINT, BIGINT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, BIGINT, TEXT);

DROP FUNCTION schemata_register_group(
    BIGINT[], TEXT[], TEXT[], BIGINT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[],
    TEXT[], BIGINT[], TEXT[], TEXT[], BIGINT[], BIGINT);
