-- wrk script for bench/register_pg.sh: every request registers a NEW Avro schema.
--
-- Arguments (after `--`): RUN_TAG SUBJECTS_PER_THREAD.
-- Request n of wrk thread t registers, under subject "bench-<run>-t<t>-s<n mod SUBJECTS>",
-- a record with the same base fields plus one field "f_<run>_<t>_<n>" (string, with a default).
-- Every schema is unique (new id and version), valid, and BACKWARD compatible with any
-- other one of the family (the reader ignores the writer's extra field and defaults its own),
-- so the default compatibility check runs and passes. Spreading over many subjects keeps the
-- per-subject lock from serialising the clients.
-- Any status other than 200 is counted as an error and reported by done().

local threads = {}
local next_tid = 0

function setup(thread)
    thread:set("tid", next_tid)
    next_tid = next_tid + 1
    table.insert(threads, thread)
end

function init(args)
    run = args[1] or "run"
    subjects = tonumber(args[2] or "1000")
    counter = 0
    ok = 0
    errors = 0
    first_error = ""
end

local template = '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"PageView\\",'
    .. '\\"namespace\\":\\"com.example.bench\\",\\"fields\\":['
    .. '{\\"name\\":\\"id\\",\\"type\\":\\"long\\"},'
    .. '{\\"name\\":\\"ts\\",\\"type\\":{\\"type\\":\\"long\\",\\"logicalType\\":\\"timestamp-millis\\"}},'
    .. '{\\"name\\":\\"url\\",\\"type\\":\\"string\\"},'
    .. '{\\"name\\":\\"referrer\\",\\"type\\":[\\"null\\",\\"string\\"],\\"default\\":null},'
    .. '{\\"name\\":\\"f_%s_%d_%d\\",\\"type\\":\\"string\\",\\"default\\":\\"\\"}]}"}'

local headers = { ["Content-Type"] = "application/vnd.schemaregistry.v1+json" }

function request()
    counter = counter + 1
    local path = string.format("/subjects/bench-%s-t%d-s%d/versions", run, tid, counter % subjects)
    return wrk.format("POST", path, headers, string.format(template, run, tid, counter))
end

function response(status, hdrs, body)
    if status == 200 then
        ok = ok + 1
    else
        errors = errors + 1
        if first_error == "" then
            first_error = status .. " " .. (body or "")
        end
    end
end

function done(summary, latency, requests)
    local total_ok, total_errors, sample = 0, 0, ""
    for _, thread in ipairs(threads) do
        total_ok = total_ok + thread:get("ok")
        total_errors = total_errors + thread:get("errors")
        local e = thread:get("first_error")
        if sample == "" and e ~= "" then sample = e end
    end
    io.write(string.format("STATUS200 %d\nNON200 %d\n", total_ok, total_errors))
    if sample ~= "" then io.write("FIRST_ERROR " .. sample .. "\n") end
end
