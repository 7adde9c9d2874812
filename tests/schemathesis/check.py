"""Judge a schemathesis run against the baseline of tolerated failures.

Usage: check.py BASELINE.toml REPORT.ndjson [REPORT.ndjson ...]

Reads schemathesis' NDJSON event reports (one per backend) and the baseline, and exits 1 when
a run did not complete, reported an error, or found a failure that no baseline entry covers.
A failure is identified by its operation (`PUT /config`) and check
(`negative_data_rejection`). An entry may narrow itself with structured fields of the failing
case only: `error_codes` (the `error_code` of the JSON error envelope answered),
`negative_in` (the parts of the request schemathesis made invalid must all be among these:
`query`, `path`, `body`, `headers`, `cookies`) and `phase` (`coverage`, `fuzzing`,
`stateful`, `examples`). It never matches on message text, so the verdict does not depend on
the random data schemathesis generated. Every entry must say
`reason`. Entries that matched nothing are listed (schemathesis may not reach them with this
seed), but do not fail the run.
"""

import base64
import json
import sys
import tomllib
from pathlib import Path

# Checks schemathesis 4 knows; a typo in the baseline must not silently match nothing.
KNOWN_CHECKS = {
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
    "object_level_authorization",
}

LOCATIONS = {"query", "path", "body", "headers", "cookies"}
PHASES = {"examples", "coverage", "fuzzing", "stateful"}


def load_baseline(path):
    with open(path, "rb") as f:
        data = tomllib.load(f)
    entries = data.get("tolerated", [])
    problems = []
    for n, entry in enumerate(entries, 1):
        where = f"{path}: entry {n} ({entry.get('operation')!r}, {entry.get('check')!r})"
        for key in ("operation", "check", "reason"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                problems.append(f"{where}: `{key}` must be a non-empty string")
        if entry.get("check") not in KNOWN_CHECKS:
            problems.append(f"{where}: unknown check {entry.get('check')!r}")
        codes = entry.get("error_codes")
        if codes is not None and not (
            isinstance(codes, list) and codes and all(isinstance(c, int) for c in codes)
        ):
            problems.append(f"{where}: `error_codes` must be a non-empty list of integers")
        parts = entry.get("negative_in")
        if parts is not None and not (
            isinstance(parts, list) and parts and set(parts) <= LOCATIONS
        ):
            problems.append(f"{where}: `negative_in` must be a non-empty list of {sorted(LOCATIONS)}")
        if "phase" in entry and entry["phase"] not in PHASES:
            problems.append(f"{where}: `phase` must be one of {sorted(PHASES)}")
        unknown = set(entry) - {"operation", "check", "reason", "error_codes", "negative_in", "phase"}
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
    if problems:
        sys.exit("\n".join(problems))
    return entries


def error_code(response):
    """The `error_code` of a JSON error envelope, or None."""
    if not response:
        return None
    content = response.get("content") or {}
    raw = content.get("$base64")
    try:
        body = json.loads(base64.b64decode(raw)) if raw is not None else None
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("error_code"), int):
        return body["error_code"]
    return None


def response_text(response, limit=300):
    if not response:
        return "(no response)"
    raw = (response.get("content") or {}).get("$base64")
    text = base64.b64decode(raw).decode("utf-8", "replace") if raw else ""
    text = text if len(text) <= limit else text[:limit] + "…"
    return f"{response.get('status_code')} {text}"


def request_text(interaction, case, limit=300):
    request = (interaction or {}).get("request") or {}
    line = f"{request.get('method', '?')} {request.get('uri', '?')}"
    body = (case or {}).get("body")
    if body is not None:
        shown = json.dumps(body, ensure_ascii=True)
        line += " " + (shown if len(shown) <= limit else shown[:limit] + "…")
    return line


def read_report(path):
    """(failures, problems) of one NDJSON report."""
    failures, problems, finished = [], [], False
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        event = json.loads(line)
        (kind, payload), = event.items()
        if kind in ("NonFatalError", "FatalError"):
            problems.append(f"{path}:{number}: schemathesis {kind}: {json.dumps(payload)[:600]}")
        elif kind == "EngineFinished":
            finished = True
            if payload.get("stop_reason") != "completed":
                problems.append(f"{path}: run stopped early ({payload.get('stop_reason')})")
        elif kind == "ScenarioFinished":
            recorder = payload["recorder"]
            for case_id, checks in recorder.get("checks", {}).items():
                for check in checks:
                    if check.get("status") != "failure":
                        continue
                    failure = (check.get("failure_info") or {}).get("failure") or {}
                    interaction = recorder.get("interactions", {}).get(case_id) or {}
                    case = (recorder.get("cases", {}).get(case_id) or {}).get("value")
                    response = interaction.get("response")
                    meta = (case or {}).get("meta") or {}
                    components = meta.get("components") or {}
                    failures.append(
                        {
                            "operation": failure.get("operation") or recorder.get("label"),
                            "check": check["name"],
                            "code": failure.get("code"),
                            "title": failure.get("title"),
                            "status": (response or {}).get("status_code"),
                            "error_code": error_code(response),
                            "negative": sorted(
                                part
                                for part, info in components.items()
                                if (info or {}).get("mode") == "negative"
                            ),
                            "phase": (meta.get("phase") or {}).get("name"),
                            "request": request_text(interaction, case),
                            "response": response_text(response),
                            "message": (failure.get("message") or "").strip(),
                        }
                    )
    if not finished:
        problems.append(f"{path}: no EngineFinished event (the run did not finish)")
    return failures, problems


def matching_entry(failure, entries):
    for index, entry in enumerate(entries):
        if entry["operation"] != failure["operation"] or entry["check"] != failure["check"]:
            continue
        codes = entry.get("error_codes")
        if codes is not None and failure["error_code"] not in codes:
            continue
        parts = entry.get("negative_in")
        if parts is not None and not set(failure["negative"]) <= set(parts):
            continue
        if "phase" in entry and entry["phase"] != failure["phase"]:
            continue
        return index
    return None


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    entries = load_baseline(argv[1])
    used = set()
    new, problems = {}, []
    tolerated = 0
    covered = {}
    for report in argv[2:]:
        failures, report_problems = read_report(report)
        problems += report_problems
        for failure in failures:
            index = matching_entry(failure, entries)
            if index is None:
                key = (failure["operation"], failure["check"], failure["error_code"])
                new.setdefault(key, (report, failure))
            else:
                used.add(index)
                tolerated += 1
                key = (failure["operation"], failure["check"], failure["error_code"])
                covered[key] = covered.get(key, 0) + 1
    for (operation, check, code), count in sorted(covered.items(), key=lambda kv: str(kv[0])):
        shown = f", error_code {code}" if code is not None else ""
        print(f"schemathesis: tolerated {operation} / {check}{shown} ({count}x)")
    unused = [e for i, e in enumerate(entries) if i not in used]
    print(f"schemathesis: {tolerated} failing check(s) covered by the baseline, "
          f"{len(new)} new unique failure(s), {len(problems)} problem(s)")
    if unused:
        print(f"schemathesis: {len(unused)} baseline entr(ies) not reproduced by this run:")
        for entry in unused:
            codes = f" {entry['error_codes']}" if "error_codes" in entry else ""
            print(f"    {entry['operation']} / {entry['check']}{codes}")
    for problem in problems:
        print(f"schemathesis: PROBLEM {problem}")
    for (operation, check, code), (report, failure) in sorted(
        new.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or 0)
    ):
        print(f"\nschemathesis: NEW FAILURE {operation} / {check} ({failure['code']} "
              f"{failure['title']}; error_code {code}; phase {failure['phase']}; "
              f"invalid parts {failure['negative'] or 'none'}) in {Path(report).name}")
        print(f"    request:  {failure['request']}")
        print(f"    response: {failure['response']}")
        for line in failure["message"].splitlines()[:12]:
            print(f"    | {line}")
    return 1 if new or problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
