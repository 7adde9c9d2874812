-- bench_group(client, n): one call of schemata_register_group2() (migration 0004) with a random
-- group of up to n new schemas for distinct subjects `c<client>-<0..2000>`, built and checked
-- the way the server would (highest version and history generation read first), so pgbench
-- can drive PostgreSQL's side of grouped registration without the HTTP server. Returns the
-- number of registrations written. The wrapper's own work (random names, md5, the reads) is
-- the same in every variant, so only differences between runs are meaningful.
CREATE OR REPLACE FUNCTION bench_group(p_client INT, p_n INT) RETURNS INT
LANGUAGE plpgsql AS $$
DECLARE
    subjects TEXT[];
    seen BIGINT[];
    hashes TEXT[];
    texts TEXT[];
    guids TEXT[];
    lock_keys BIGINT[];
    generation BIGINT;
    size INT;
    written INT;
BEGIN
    SELECT array_agg(s ORDER BY s) INTO subjects
      FROM (SELECT DISTINCT 'c' || p_client || '-' || (random() * 2000)::INT AS s
              FROM generate_series(1, p_n)) AS x;
    size := cardinality(subjects);
    SELECT array_agg(COALESCE((SELECT max(version) FROM subject_versions sv
                                WHERE sv.context = '.' AND sv.subject = u.s), 0) ORDER BY u.o)
      INTO seen
      FROM unnest(subjects) WITH ORDINALITY AS u(s, o);
    SELECT array_agg(md5(random()::TEXT) || md5(random()::TEXT) ORDER BY o),
           array_agg('{"type":"record","name":"PageView","namespace":"com.example.bench","fields":'
                     || '[{"name":"id","type":"long"},{"name":"url","type":"string"},'
                     || '{"name":"f_' || md5(random()::TEXT) || '","type":"string","default":""}]}'
                     ORDER BY o),
           array_agg(gen_random_uuid()::TEXT ORDER BY o),
           array_agg(hashtext(s)::BIGINT ORDER BY o)
      INTO hashes, texts, guids, lock_keys
      FROM unnest(subjects) WITH ORDINALITY AS u(s, o);
    SELECT history_generation INTO generation FROM contexts WHERE name = '.';
    SELECT count(*) INTO written
      FROM schemata_register_group2(
           lock_keys, array_fill('.'::TEXT, ARRAY[size]), subjects, seen,
           array_fill(generation, ARRAY[size]), hashes, array_fill('AVRO'::TEXT, ARRAY[size]),
           texts, array_fill('[]'::TEXT, ARRAY[size]), array_fill(NULL::TEXT, ARRAY[size]),
           array_fill(NULL::TEXT, ARRAY[size]), guids,
           '{}'::BIGINT[], '{}'::TEXT[], '{}'::TEXT[], '{}'::BIGINT[], 0);
    RETURN written;
END
$$;
