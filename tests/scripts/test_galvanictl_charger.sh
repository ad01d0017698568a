#!/usr/bin/env bash
# galvanictl charger and token commands against the test PostgreSQL, in a
# schema of their own: add, list, show, set-password (the stored hash
# changes), set-profile, accept, remove, errors with exit code 1 and one
# clear line, the demo data set loaded twice, and bulk import.
source "$(dirname "$0")/daemon_lib.sh"
: "${GLV_TEST_PG:?GLV_TEST_PG is not set: eval \"\$(tools/pg-private env DIR)\" first}"
export GLV_PLUGIN_PATH=${GLV_PLUGIN_BUILD_DIR:?}
SCHEMA=ctl_$$_$RANDOM
sql() { psql "$GLV_TEST_PG options=-csearch_path=$SCHEMA" -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }
psql "$GLV_TEST_PG" -X -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA $SCHEMA" >/dev/null
drop_schema() { psql "$GLV_TEST_PG" -X -q -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true; }
trap 'drop_schema; cleanup' EXIT

cat >"$WORK/galvani.yaml" <<YAML
galvani:
  plugins:
    - name: localauth
database:
  conninfo: "$GLV_TEST_PG options=-csearch_path=$SCHEMA"
YAML
ctl() { "$GALVANICTL" -c "$WORK/galvani.yaml" "$@"; }

# expect_fail PATTERN CMD...: exit code 1 and one line on stderr matching PATTERN
expect_fail() {
    local pattern=$1 rc=0
    shift
    ctl "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    [ "$rc" -eq 1 ] || fail "galvanictl $* exited $rc, expected 1 ($(cat "$WORK/err"))"
    [ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "galvanictl $*: not one line: $(cat "$WORK/err")"
    grep -q -- "$pattern" "$WORK/err" || fail "galvanictl $*: '$(cat "$WORK/err")' lacks '$pattern'"
}

ctl db migrate >/dev/null || fail "db migrate"

# chargers
ctl charger add CP-A --password first-secret --connectors 2 >/dev/null || fail "charger add"
[ "$(sql "SELECT status || ' ' || security_profile || ' ' || connectors FROM glv_chargers WHERE identity = 'CP-A'")" = "accepted 1 2" ] ||
    fail "charger add stored the wrong record"
hash1=$(sql "SELECT password_hash FROM glv_chargers WHERE identity = 'CP-A'")
[[ $hash1 == \$scrypt\$* ]] || fail "the password is not stored as a hash: $hash1"
echo "second-secret" | ctl charger add CP-B --profile 2 --password-stdin --lenient >/dev/null ||
    fail "charger add --password-stdin"
ctl charger add CP-C --profile 0 >/dev/null || fail "charger add without a password"
expect_fail "CP-A exists already" charger add CP-A --password other-secret
expect_fail "needs a password" charger add CP-D --profile 1
expect_fail "not a charger identity" charger add "bad id" --profile 0
expect_fail "--profile takes" charger add CP-E --profile 7

out=$(ctl charger list) || fail "charger list"
grep -q "^CP-A .*accepted .* 1 .* 2 .*offline" <<<"$out" || fail "charger list: $out"
grep -q "^CP-B " <<<"$out" && grep -q "^CP-C " <<<"$out" || fail "charger list: $out"
out=$(ctl charger show CP-B) || fail "charger show"
grep -q "^security_profile  2$" <<<"$out" && grep -q "^lenient  *yes$" <<<"$out" &&
    grep -q "^password  *set$" <<<"$out" || fail "charger show: $out"
grep -q scrypt <<<"$out" && fail "charger show printed the password hash"
expect_fail "no charger NOPE" charger show NOPE

echo "third-secret" | ctl charger set-password CP-A >/dev/null || fail "set-password"
hash2=$(sql "SELECT password_hash FROM glv_chargers WHERE identity = 'CP-A'")
[ -n "$hash2" ] && [ "$hash2" != "$hash1" ] || fail "set-password did not change the hash"
expect_fail "no charger NOPE" charger set-password NOPE --password some-secret
expect_fail "8 to 40 characters" charger set-password CP-A --password short

ctl charger set-profile CP-A 2 >/dev/null || fail "set-profile"
[ "$(sql "SELECT security_profile FROM glv_chargers WHERE identity = 'CP-A'")" = 2 ] || fail "set-profile"
expect_fail "not a security profile" charger set-profile CP-A 9

sql "UPDATE glv_chargers SET status = 'pending' WHERE identity = 'CP-C'"
ctl charger accept CP-C >/dev/null || fail "accept"
[ "$(sql "SELECT status FROM glv_chargers WHERE identity = 'CP-C'")" = accepted ] || fail "accept"
expect_fail "no charger NOPE" charger accept NOPE

ctl charger remove CP-C >/dev/null || fail "remove"
[ "$(sql "SELECT count(*) FROM glv_chargers WHERE identity = 'CP-C'")" = 0 ] || fail "remove"
expect_fail "no charger CP-C" charger remove CP-C

rc=0
ctl charger frobnicate CP-A >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "an unknown subcommand exited $rc, expected 2"

# tokens
ctl token add CARD-1 --expiry 2030-01-01T00:00:00Z --parent FLEET-1 >/dev/null || fail "token add"
[ "$(sql "SELECT type || ' ' || status || ' ' || parent_id FROM localauth_tokens WHERE id_token = 'CARD-1'")" = "RFID Accepted FLEET-1" ] ||
    fail "token add stored the wrong record"
expect_fail "CARD-1 exists already" token add CARD-1
expect_fail "card-1 exists already" token add card-1
expect_fail "not a status" token add CARD-2 --status Fine
expect_fail "not an ISO 8601 time" token add CARD-2 --expiry tomorrow
expect_fail "not an ISO 8601 time" token add CARD-2 --expiry 2030-13-45
out=$(ctl token list) || fail "token list"
grep -q "^CARD-1 .*RFID .*Accepted .*2030-01-01T00:00:00Z .*FLEET-1" <<<"$out" || fail "token list: $out"
ctl token block CARD-1 >/dev/null || fail "token block"
[ "$(sql "SELECT status FROM localauth_tokens WHERE id_token = 'CARD-1'")" = Blocked ] || fail "token block"
expect_fail "no token NOPE" token block NOPE
ctl token remove CARD-1 >/dev/null || fail "token remove"
expect_fail "no token CARD-1" token remove CARD-1

# the demo data set, twice
for _ in 1 2; do
    GALVANICTL="$GALVANICTL -c $WORK/galvani.yaml" "$GLV_SOURCE_DIR/tools/demo/load" >/dev/null ||
        fail "tools/demo/load"
done
[ "$(sql "SELECT string_agg(identity || ':' || status || ':' || security_profile || ':' || connectors, ' ' ORDER BY identity) FROM glv_chargers WHERE identity LIKE 'DEMO-%'")" = \
    "DEMO-CP-1:accepted:1:2 DEMO-CP-2:accepted:1:2" ] || fail "demo chargers"
[ "$(sql "SELECT status FROM localauth_tokens WHERE id_token = 'DEMO-RFID-1'")" = Accepted ] || fail "demo token"
# bulk import: one transaction, each distinct password hashed once,
# idempotent, a bad line refused with its number and nothing written
ctl charger add IMP-0 --profile 0 >/dev/null || fail "charger add IMP-0"
{
    echo "# identity,profile,password"
    echo "IMP-0,1,shared-secret-1"
    for i in $(seq 1 50); do echo "IMP-$i,1,shared-secret-1"; done
    for i in $(seq 51 60); do echo "IMP-$i,2,other,secret-2"; done
    echo ""
    echo "IMP-61"
    echo "IMP-62,3"
    printf 'IMP-63,,third-secret\r\n'
} >"$WORK/import.csv"
out=$(ctl charger import "$WORK/import.csv") || fail "charger import"
grep -q "^64 chargers imported: 63 added, 1 updated, 3 distinct passwords hashed$" <<<"$out" ||
    fail "charger import: $out"
[ "$(sql "SELECT count(DISTINCT password_hash) || ' ' || count(*) FROM glv_chargers WHERE identity LIKE 'IMP-%'")" = "3 64" ] ||
    fail "import: hashes not shared per password"
[ "$(sql "SELECT string_agg(identity || ':' || status || ':' || security_profile || ':' || (password_hash IS NOT NULL), ' ' ORDER BY identity) FROM glv_chargers WHERE identity IN ('IMP-0', 'IMP-51', 'IMP-61', 'IMP-62', 'IMP-63')")" = \
    "IMP-0:accepted:1:true IMP-51:accepted:2:true IMP-61:accepted:0:false IMP-62:accepted:3:false IMP-63:accepted:1:true" ] ||
    fail "import stored the wrong records"
# the shared hash verifies the shared password: the same hash as IMP-1's
[ "$(sql "SELECT count(DISTINCT password_hash) FROM glv_chargers WHERE identity ~ '^IMP-([0-9]|[1-4][0-9]|50)$'")" = 1 ] ||
    fail "import: one password, several hashes"
out=$(ctl charger import "$WORK/import.csv") || fail "charger import, second time"
grep -q "^64 chargers imported: 0 added, 64 updated" <<<"$out" || fail "second import: $out"
[ "$(sql "SELECT count(*) FROM glv_chargers WHERE identity LIKE 'IMP-%'")" = 64 ] || fail "second import doubled rows"
# stdin, and an update that changes the profile
echo "IMP-61,3" | ctl charger import - >/dev/null || fail "charger import -"
[ "$(sql "SELECT security_profile FROM glv_chargers WHERE identity = 'IMP-61'")" = 3 ] || fail "import did not update"
# bad input: line number, exit 1, nothing written
before=$(sql "SELECT count(*) || ':' || max(updated_at) FROM glv_chargers")
expect_import_fail() { # PATTERN: the file $WORK/bad.csv is refused
    expect_fail "$1" charger import "$WORK/bad.csv"
    [ "$(sql "SELECT count(*) || ':' || max(updated_at) FROM glv_chargers")" = "$before" ] ||
        fail "a refused import wrote something ($1)"
}
printf 'NEW-1,1,good-password\nNEW-2,7,good-password\n' >"$WORK/bad.csv"
expect_import_fail "bad.csv:2: '7' is not a security profile"
printf 'NEW-1,1,good-password\nNEW-2\nbad id,0\n' >"$WORK/bad.csv"
expect_import_fail "bad.csv:3: 'bad id' is not a charger identity"
printf 'NEW-1,1\n' >"$WORK/bad.csv"
expect_import_fail "bad.csv:1: security profile 1 needs a password"
printf 'NEW-1,2,short\n' >"$WORK/bad.csv"
expect_import_fail "bad.csv:1: the password must have 8 to 40 characters"
printf 'NEW-1,0\nNEW-2,0\n\nNEW-1,3\n' >"$WORK/bad.csv"
expect_import_fail "bad.csv:4: NEW-1 is on line 1 already"
printf '# nothing\n\n' >"$WORK/bad.csv"
expect_import_fail "holds no charger"
expect_fail "cannot open $WORK/none.csv" charger import "$WORK/none.csv"

echo "galvanictl charger and token: ok"
