#!/usr/bin/env bash
# Mutation testing with cargo-mutants over the code the suite must guard (README, "Mutation
# testing"). Every mutant is built in the `mutants` profile (no debug info) and tested on SQLite
# with the unit tests and the integration suite (cargo-nextest, failing fast), less its two
# slowest sweeps (the proptest schema sweep and the browser test, which guard neither
# authorization nor writes).
#
#   scripts/mutants.sh auth   [cargo-mutants options]   src/auth/ and client management
#   scripts/mutants.sh policy [options]                 the policy alone (src/auth/policy/, principal.rs)
#   scripts/mutants.sh writes [options]                 the write paths: results (and the OneRoster
#                                                       gradebook's), profiles, WIN, redesign money,
#                                                       roster writes
#   scripts/mutants.sh all    [options]                 auth and writes together
#   scripts/mutants.sh any    [options]                 nothing chosen: name it, e.g.
#                                                         -f src/win/store.rs, or --in-diff my.diff
#
# Options go to cargo-mutants as they are (but for `--`: the script passes the test filter):
# `--shard 1/8` for an eighth, `-j 2` for two builds at once (each in a copy of the tree, which
# first rebuilds the dependencies), `--iterate` to retest only what the last run left missed,
# `--list` to count, `-o DIR` to keep a run's results apart.
set -euo pipefail
cd "$(dirname "$0")/.."
# The version the README describes (its filters and output), and nextest to run the tests.
command -v cargo-mutants >/dev/null || cargo install --locked cargo-mutants --version 27.1.0
command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest

area="${1:-}"
[ $# -gt 0 ] && shift
# The write paths: whole stores for results, profiles, roster writes and WIN, and the money
# half of redesign (grants, disbursements, funding ceilings, fiscal years, totals).
writes_files=(-f 'src/progress/store/**' -f src/progress/rest_writes.rs -f src/profiles/store.rs -f 'src/roster/store/**'
  -f 'src/win/store/**' -f src/redesign/money.rs -f 'src/redesign/store/**' -f src/validate.rs)
money='(award_grant|disburse|set_funding|lock_funds|find_grant|check_fiscal_year|plan_money|totals|Totals::add_[a-z_]+)'
writes_re="^src/(progress/store/|progress/rest_writes\\.rs:|profiles/store\\.rs:|roster/store/|win/store/|validate\\.rs:)|^src/redesign/money\\.rs:|^src/redesign/store/[a-z_]+\\.rs:[0-9]+:[0-9]+: (replace $money -> .*|.* in $money)\$"
# The test targets each mutant is built and tested with: the integration suite, and the unit
# tests where the area has some (src/auth/ outside the policy has none; building them would compile the crate twice).
targets=(-C --lib -C --test=api)
case "$area" in
  auth) targets=(-C --test=api) && set -- -f 'src/auth/**' -f src/admin/graphql.rs "$@" ;;
  policy) set -- -f 'src/auth/policy/**' -f src/auth/principal.rs "$@" ;;
  writes) set -- "${writes_files[@]}" --re "$writes_re" "$@" ;;
  all) set -- -f 'src/auth/**' -f src/admin/graphql.rs "${writes_files[@]}" \
    --re "^src/(auth/|admin/graphql\.rs:)|$writes_re" "$@" ;;
  any) ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
# SQLite, whatever the shell has set: a run must not depend on a server.
export TEST_DATABASE_URL=
# nextest stops at the first failing test, so a caught mutant costs its build and one failure.
exec cargo mutants --test-tool nextest "${targets[@]}" "$@" -- --no-tests pass \
  -E 'not (test(/^hostile_input::/) | test(/^web::/))'
