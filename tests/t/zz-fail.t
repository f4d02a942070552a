#!/bin/bash
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/servers.sh"
pass "first"
redis_stop_test; redis_start_test; ok $? "redis restarted by the test (child of this script)"
run_cmd sleep 100
pass never
done_testing
