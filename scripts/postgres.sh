# Sourced by the test and bench scripts: make sure PostgreSQL runs on 127.0.0.1:5432 and has
# the role the tests use, then export SCHEMATA_TEST_POSTGRES_URL.
#
# Project machines run PostgreSQL with trust auth; a machine where the cluster was stopped
# and restarted may require passwords over TCP, so the tests always log in as a role with a
# password (schemata/schemata, CREATEDB) created over the local socket.

ensure_postgres() {
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        echo "postgres: installing PostgreSQL from Debian's packages" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    if ! pg_isready -q -h 127.0.0.1 -p 5432; then
        local version
        version="$(ls /etc/postgresql | sort -V | tail -n 1)"
        echo "postgres: starting cluster $version/main" >&2
        pg_ctlcluster --skip-systemctl-redirect "$version" main start
        for _ in $(seq 1 60); do
            pg_isready -q -h 127.0.0.1 -p 5432 && break
            sleep 0.5
        done
    fi
    local sql="DO \$\$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'schemata') THEN
            CREATE ROLE schemata LOGIN PASSWORD 'schemata' CREATEDB;
        END IF; END \$\$;"
    if id postgres >/dev/null 2>&1 && command -v runuser >/dev/null 2>&1; then
        (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -c "$sql")
        if ! (cd / && runuser -u postgres -- psql -X -qtAc "SELECT 1 FROM pg_database WHERE datname = 'schemata'") | grep -q 1; then
            (cd / && runuser -u postgres -- psql -X -q -c "CREATE DATABASE schemata OWNER schemata")
        fi
    else
        psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d postgres -c "$sql"
        psql -X -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE schemata OWNER schemata" 2>/dev/null || true
    fi
    export SCHEMATA_TEST_POSTGRES_URL="${SCHEMATA_TEST_POSTGRES_URL:-postgres://schemata:schemata@127.0.0.1:5432/postgres}"
}
