/* The hooks bus, services, timers and the worker pool through the host table. */
#include "bus-internal.h"
#include "check_run.h"
#include "loop_test.h"
#include "workers-internal.h"

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static glv_core *core;
static const glv_host *H;
static glv_plugin *alpha, *beta, *gamma_;

static void setup(void)
{
    core = glv_core_new("test", 2);
    ck_assert_ptr_nonnull(core);
    H = &core->host;
    alpha = glv_core_plugin_new(core, "alpha");
    beta = glv_core_plugin_new(core, "beta");
    gamma_ = glv_core_plugin_new(core, "gamma");
}

static void teardown(void)
{
    glv_core_free(core);
}

static void note_version_listener(const char *event, const json_t *payload, void *arg);

/* ---- filters ---- */

struct trace {
    char order[128];
};

static glv_verdict append_filter(glv_filter_call *call, json_t *payload, void *arg)
{
    json_t *seen = json_object_get(payload, "seen");
    json_array_append_new(seen, json_string(arg));
    return GLV_HOOK_PASS;
}

struct result {
    int done;
    glv_verdict verdict;
    json_t *payload;
    json_t *error;
};

static void on_done(glv_verdict v, json_t *payload, const json_t *error, void *arg)
{
    struct result *r = arg;
    r->done++;
    r->verdict = v;
    r->payload = json_incref(payload);
    r->error = error ? json_deep_copy(error) : NULL;
}

static void result_clear(struct result *r)
{
    json_decref(r->payload);
    json_decref(r->error);
    memset(r, 0, sizeof(*r));
}

static struct result run(glv_plugin *p, const char *event, uint32_t timeout_ms)
{
    struct result r = {0};
    json_t *payload = json_pack("{s:[]}", "seen");
    ck_assert_int_eq(H->filter_run(p, event, payload, timeout_ms, on_done, &r), 0);
    json_decref(payload);
    glv_test_run_until(core, &r.done, 5000);
    ck_assert_int_eq(r.done, 1);
    return r;
}

static const char *seen_at(const struct result *r, size_t i)
{
    return json_string_value(json_array_get(json_object_get(r->payload, "seen"), i));
}

START_TEST(filters_run_in_priority_then_name_order)
{
    ck_assert_int_eq(H->event_declare(alpha, "t.order", GLV_EVENT_FILTER, 1), 0);
    ck_assert_int_gt(H->filter_add(gamma_, "t.order", 0, 1, append_filter, "gamma"), 0);
    ck_assert_int_gt(H->filter_add(beta, "t.order", 0, 1, append_filter, "beta"), 0);
    ck_assert_int_gt(H->filter_add(alpha, "t.order", 10, 1, append_filter, "alpha"), 0);
    ck_assert_int_gt(H->filter_add(gamma_, "t.order", -5, 1, append_filter, "early"), 0);
    char *err = NULL;
    ck_assert_int_eq(glv_bus_check(core->bus, &err), 0);
    struct result r = run(alpha, "t.order", 0);
    ck_assert_int_eq(r.verdict, GLV_HOOK_PASS);
    ck_assert_ptr_null(r.error);
    ck_assert_str_eq(seen_at(&r, 0), "early");
    ck_assert_str_eq(seen_at(&r, 1), "beta");
    ck_assert_str_eq(seen_at(&r, 2), "gamma");
    ck_assert_str_eq(seen_at(&r, 3), "alpha");
    result_clear(&r);
}
END_TEST

static glv_verdict veto_filter(glv_filter_call *call, json_t *payload, void *arg)
{
    H->filter_reason(call, json_pack("{s:s}", "message", "blocked card"));
    return GLV_HOOK_VETO;
}

static glv_verdict handled_filter(glv_filter_call *call, json_t *payload, void *arg)
{
    json_object_set_new(payload, "answer", json_string("Accepted"));
    return GLV_HOOK_HANDLED;
}

START_TEST(veto_and_handled_stop_the_chain)
{
    H->event_declare(alpha, "t.veto", GLV_EVENT_FILTER, 1);
    H->filter_add(alpha, "t.veto", 0, 1, veto_filter, NULL);
    H->filter_add(beta, "t.veto", 1, 1, append_filter, "after");
    struct result r = run(alpha, "t.veto", 0);
    ck_assert_int_eq(r.verdict, GLV_HOOK_VETO);
    ck_assert_str_eq(json_string_value(json_object_get(r.error, "message")), "blocked card");
    ck_assert_str_eq(json_string_value(json_object_get(r.error, "plugin")), "alpha");
    ck_assert_int_eq(json_array_size(json_object_get(r.payload, "seen")), 0);
    result_clear(&r);

    H->event_declare(alpha, "t.handled", GLV_EVENT_FILTER, 1);
    H->filter_add(alpha, "t.handled", 0, 1, handled_filter, NULL);
    H->filter_add(beta, "t.handled", 1, 1, append_filter, "after");
    r = run(alpha, "t.handled", 0);
    ck_assert_int_eq(r.verdict, GLV_HOOK_HANDLED);
    ck_assert_str_eq(json_string_value(json_object_get(r.payload, "answer")), "Accepted");
    ck_assert_int_eq(json_array_size(json_object_get(r.payload, "seen")), 0);
    result_clear(&r);
}
END_TEST

static glv_verdict failing_filter(glv_filter_call *call, json_t *payload, void *arg)
{
    return GLV_HOOK_FAILED;
}

static glv_verdict bogus_filter(glv_filter_call *call, json_t *payload, void *arg)
{
    return (glv_verdict)77;
}

START_TEST(failing_filter_ends_with_named_error)
{
    H->event_declare(alpha, "t.fail", GLV_EVENT_FILTER, 1);
    H->filter_add(beta, "t.fail", 0, 1, failing_filter, NULL);
    struct result r = run(alpha, "t.fail", 0);
    ck_assert_int_eq(r.verdict, GLV_HOOK_FAILED);
    ck_assert_str_eq(json_string_value(json_object_get(r.error, "plugin")), "beta");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r.error, "message")),
                                 "filter of plugin beta failed"));
    result_clear(&r);

    H->event_declare(alpha, "t.bogus", GLV_EVENT_FILTER, 1);
    H->filter_add(gamma_, "t.bogus", 0, 1, bogus_filter, NULL);
    r = run(alpha, "t.bogus", 0);
    ck_assert_int_eq(r.verdict, GLV_HOOK_FAILED);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(r.error, "message")), "invalid verdict 77"));
    result_clear(&r);
}
END_TEST

/* Asynchronous filter: answers from a timer. */
static glv_filter_call *pending_call;
static glv_verdict pending_filter(glv_filter_call *call, json_t *payload, void *arg)
{
    pending_call = call;
    json_object_set_new(payload, "async", json_true());
    return GLV_HOOK_PENDING;
}

static void answer_later(void *arg)
{
    H->filter_resume(pending_call, GLV_HOOK_PASS, NULL);
}

START_TEST(async_filter_completes_later)
{
    H->event_declare(alpha, "t.async", GLV_EVENT_FILTER, 1);
    H->filter_add(alpha, "t.async", 0, 1, pending_filter, NULL);
    H->filter_add(beta, "t.async", 1, 1, append_filter, "after");
    struct result r = {0};
    json_t *payload = json_pack("{s:[]}", "seen");
    ck_assert_int_eq(H->filter_run(alpha, "t.async", payload, 2000, on_done, &r), 0);
    json_decref(payload);
    ck_assert_int_eq(r.done, 0); /* not before the filter answers */
    ck_assert_ptr_nonnull(H->timer_start(alpha, 20, 0, answer_later, NULL));
    glv_test_run_until(core, &r.done, 3000);
    ck_assert_int_eq(r.done, 1);
    ck_assert_int_eq(r.verdict, GLV_HOOK_PASS);
    ck_assert(json_is_true(json_object_get(r.payload, "async")));
    ck_assert_str_eq(seen_at(&r, 0), "after");
    result_clear(&r);
}
END_TEST

START_TEST(silent_filter_times_out_and_late_answer_is_harmless)
{
    H->event_declare(alpha, "t.silent", GLV_EVENT_FILTER, 1);
    H->filter_add(gamma_, "t.silent", 0, 1, pending_filter, NULL);
    struct result r = run(alpha, "t.silent", 50);
    ck_assert_int_eq(r.verdict, GLV_HOOK_TIMEOUT);
    ck_assert_str_eq(json_string_value(json_object_get(r.error, "plugin")), "gamma");
    ck_assert_str_eq(json_string_value(json_object_get(r.error, "message")),
                     "filter of plugin gamma did not answer event t.silent within 50 ms");
    result_clear(&r);
    /* The late answer must not call done again nor crash. */
    H->filter_resume(pending_call, GLV_HOOK_PASS, NULL);
    glv_test_run_for(core, 10);
}
END_TEST

static int64_t self_sub;
static glv_verdict unsubscribing_filter(glv_filter_call *call, json_t *payload, void *arg)
{
    ck_assert_int_eq(H->unsubscribe(beta, self_sub), 0);
    json_array_append_new(json_object_get(payload, "seen"), json_string("once"));
    return GLV_HOOK_PASS;
}

START_TEST(unsubscribe_during_dispatch_is_safe)
{
    H->event_declare(alpha, "t.unsub", GLV_EVENT_FILTER, 1);
    self_sub = H->filter_add(beta, "t.unsub", 0, 1, unsubscribing_filter, NULL);
    H->filter_add(gamma_, "t.unsub", 1, 1, append_filter, "next");
    struct result r = run(alpha, "t.unsub", 0);
    ck_assert_str_eq(seen_at(&r, 0), "once");
    ck_assert_str_eq(seen_at(&r, 1), "next");
    result_clear(&r);
    r = run(alpha, "t.unsub", 0);
    ck_assert_int_eq(json_array_size(json_object_get(r.payload, "seen")), 1);
    ck_assert_str_eq(seen_at(&r, 0), "next");
    result_clear(&r);
    ck_assert_int_eq(H->unsubscribe(beta, self_sub), -ENOENT);
}
END_TEST

START_TEST(undeclared_and_mismatched_events_are_refused)
{
    json_t *payload = json_object();
    struct result r = {0};
    ck_assert_int_eq(H->filter_run(alpha, "t.nobody", payload, 0, on_done, &r), -ENOENT);
    ck_assert_int_eq(H->notify(alpha, "t.nobody", json_object()), -ENOENT);
    H->event_declare(alpha, "t.note", GLV_EVENT_NOTIFICATION, 2);
    ck_assert_int_eq(H->event_declare(beta, "t.note", GLV_EVENT_FILTER, 1), -EEXIST);
    ck_assert_int_eq(H->filter_add(beta, "t.note", 0, 1, append_filter, NULL), -EINVAL);
    ck_assert_int_eq(H->filter_run(alpha, "t.note", payload, 0, on_done, &r), -ENOENT);
    /* A listener written for a newer payload than declared. */
    ck_assert_int_eq(H->listen(beta, "t.note", 3, note_version_listener, NULL), -EPROTO);
    ck_assert_int_eq(H->listen(beta, "t.note", 1, NULL, NULL), -EINVAL);
    ck_assert_int_eq(H->event_declare(alpha, "Bad Name", GLV_EVENT_FILTER, 1), -EINVAL);
    json_decref(payload);
    ck_assert_int_eq(r.done, 0);
    ck_assert_ptr_nonnull(H->last_error(alpha));
}
END_TEST

/* ---- notifications ---- */

static int notes_a, notes_b;
static void listener_a(const char *event, const json_t *payload, void *arg)
{
    notes_a += (int)json_integer_value(json_object_get(payload, "n"));
}
static void listener_b(const char *event, const json_t *payload, void *arg)
{
    notes_b++;
}

static void note_version_listener(const char *event, const json_t *payload, void *arg)
{
    (void)event;
}

START_TEST(notifications_fan_out_after_the_call)
{
    H->event_declare(alpha, "t.done", GLV_EVENT_NOTIFICATION, 1);
    ck_assert_int_eq(H->listened(alpha, "t.done"), 0);
    ck_assert_int_eq(H->listened(alpha, "t.nobody"), -ENOENT);
    int64_t sub = H->listen(beta, "t.done", 1, listener_a, NULL);
    ck_assert_int_eq(H->listened(alpha, "t.done"), 1);
    H->unsubscribe(beta, sub);
    ck_assert_int_eq(H->listened(alpha, "t.done"), 0);
    H->listen(beta, "t.done", 1, listener_a, NULL);
    H->listen(gamma_, "t.done", 1, listener_b, NULL);
    ck_assert_int_eq(H->listened(alpha, "t.done"), 1);
    ck_assert_int_eq(H->notify(alpha, "t.done", json_pack("{s:i}", "n", 5)), 0);
    ck_assert_int_eq(H->notify(alpha, "t.done", json_pack("{s:i}", "n", 7)), 0);
    ck_assert_int_eq(notes_a, 0); /* later loop turn */
    glv_test_run_for(core, 20);
    ck_assert_int_eq(notes_a, 12);
    ck_assert_int_eq(notes_b, 2);
    ck_assert_int_eq(H->notify(alpha, "t.done", json_string("not an object")), -EINVAL);
}
END_TEST

START_TEST(data_version_checked_at_start)
{
    H->listen(beta, "t.later", 2, note_version_listener, NULL); /* before declaration */
    H->event_declare(alpha, "t.later", GLV_EVENT_NOTIFICATION, 1);
    char *err = NULL;
    ck_assert_int_eq(glv_bus_check(core->bus, &err), -1);
    ck_assert_msg(strstr(err, "plugin beta needs event t.later at data version 2") != NULL, "%s",
                  err);
    free(err);
}
END_TEST

/* ---- services ---- */

struct demo_vtable {
    uint32_t size;
    int (*twice)(void *instance, int x);
};
static int twice(void *instance, int x)
{
    return x * 2 + *(int *)instance;
}

START_TEST(services_are_versioned)
{
    static int offset = 1;
    static const struct demo_vtable vt = {sizeof(vt), twice};
    ck_assert_int_eq(H->service_provide(alpha, "demo", 2, &vt, &offset), 0);
    ck_assert_int_eq(H->service_provide(beta, "demo", 3, &vt, &offset), -EEXIST);
    glv_service s;
    ck_assert_int_eq(H->service_get(beta, "demo", 2, &s), 0);
    const struct demo_vtable *got = s.vtable;
    ck_assert(GLV_SERVICE_HAS(got, struct demo_vtable, twice));
    ck_assert_int_eq(got->twice(s.instance, 20), 41);
    ck_assert_str_eq(s.provider, "alpha");
    ck_assert_int_eq(H->service_get(beta, "demo", 3, &s), -EPROTO);
    ck_assert_int_eq(H->service_get(beta, "absent", 1, &s), -ENOENT);
}
END_TEST

/* ---- timers, defer and workers ---- */

static int ticks, deferred_ran;
static glv_timer *ticker;
static void on_tick(void *arg)
{
    if (++ticks == 3)
        H->timer_stop(ticker); /* stopping from inside its own callback */
}
static void on_defer(void *arg)
{
    deferred_ran = 1;
}

START_TEST(timers_and_defer)
{
    ticker = H->timer_start(alpha, 5, 1, on_tick, NULL);
    ck_assert_ptr_nonnull(ticker);
    ck_assert_int_eq(H->defer(alpha, on_defer, NULL), 0);
    ck_assert_int_eq(deferred_ran, 0);
    glv_test_run_for(core, 100);
    ck_assert_int_eq(ticks, 3);
    ck_assert_int_eq(deferred_ran, 1);
}
END_TEST

static int work_done;
static void slow_square(void *arg)
{
    int *v = arg;
    *v = *v * *v;
}
static void square_done(void *arg)
{
    work_done++;
}

START_TEST(workers_complete_on_the_loop)
{
    int values[16];
    for (int i = 0; i < 16; i++) {
        values[i] = i;
        ck_assert_int_eq(H->work(alpha, slow_square, square_done, &values[i]), 0);
    }
    int all = 0;
    for (int tries = 0; tries < 400 && work_done < 16; tries++)
        glv_test_run_for(core, 5);
    all = work_done == 16;
    ck_assert(all);
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(values[i], i * i);
    ck_assert_int_eq(glv_workers_pending(core->workers), 0);
}
END_TEST

static char stored_hash[200];
static int hash_ready, verify_result = -100, verify_ready;
static void on_hash(const char *hash, void *arg)
{
    snprintf(stored_hash, sizeof(stored_hash), "%s", hash ? hash : "");
    hash_ready = 1;
}
static void on_verify(int result, void *arg)
{
    verify_result = result;
    verify_ready = 1;
}

START_TEST(password_hash_and_verify_off_the_loop)
{
    ck_assert_int_eq(H->password_hash(alpha, "demo-cp-secret", on_hash, NULL), 0);
    ck_assert(glv_test_run_until(core, &hash_ready, 10000));
    ck_assert_msg(strncmp(stored_hash, "$scrypt$ln=15,r=8,p=1$", 22) == 0, "%s", stored_hash);
    ck_assert_int_eq(H->password_verify(alpha, "demo-cp-secret", stored_hash, on_verify, NULL), 0);
    ck_assert(glv_test_run_until(core, &verify_ready, 10000));
    ck_assert_int_eq(verify_result, 1);
    verify_ready = 0;
    ck_assert_int_eq(H->password_verify(alpha, "wrong", stored_hash, on_verify, NULL), 0);
    ck_assert(glv_test_run_until(core, &verify_ready, 10000));
    ck_assert_int_eq(verify_result, 0);
    verify_ready = 0;
    ck_assert_int_eq(H->password_verify(alpha, "x", "$plain$x", on_verify, NULL), 0);
    ck_assert(glv_test_run_until(core, &verify_ready, 10000));
    ck_assert_int_eq(verify_result, -EINVAL);
}
END_TEST

/* Runs one verification to the end and returns its result. */
static int verify_now(const char *password, const char *hash)
{
    verify_ready = 0;
    verify_result = -100;
    ck_assert_int_eq(H->password_verify(alpha, password, hash, on_verify, NULL), 0);
    ck_assert(glv_test_run_until(core, &verify_ready, 10000));
    return verify_result;
}

static void hash_now(const char *password, char out[200])
{
    hash_ready = 0;
    ck_assert_int_eq(H->password_hash(alpha, password, on_hash, NULL), 0);
    ck_assert(glv_test_run_until(core, &hash_ready, 10000));
    snprintf(out, 200, "%s", stored_hash);
}

START_TEST(verified_password_cache_never_lies)
{
    char first[200], second[200], other[200];
    hash_now("cache-secret-1", first);
    hash_now("cache-secret-1", second); /* same password, another salt */
    hash_now("cache-secret-2", other);
    ck_assert_int_eq(verify_now("cache-secret-1", first), 1); /* now remembered */
    ck_assert_int_eq(verify_now("cache-secret-1", first), 1);
    ck_assert_int_eq(verify_now("cache-secret-x", first), 0);  /* wrong password */
    ck_assert_int_eq(verify_now("cache-secret-1", second), 1); /* another stored hash */
    ck_assert_int_eq(verify_now("cache-secret-1", other), 0);  /* a rotated password */
    ck_assert_int_eq(verify_now("cache-secret-2", other), 1);
    ck_assert_int_eq(verify_now("cache-secret-2", first), 0);
}
END_TEST

START_TEST(host_table_guards)
{
    ck_assert_uint_eq(H->size, sizeof(glv_host));
    ck_assert_int_eq(H->abi_major, GLV_ABI_MAJOR);
    ck_assert(GLV_HOST_HAS(H, db_affected));
    glv_host small = *H;
    small.size = offsetof(glv_host, metric);
    ck_assert(!GLV_HOST_HAS(&small, metric));
    ck_assert(GLV_HOST_HAS(&small, defer));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bus");
    TCase *tc = tcase_create("bus");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, filters_run_in_priority_then_name_order);
    tcase_add_test(tc, veto_and_handled_stop_the_chain);
    tcase_add_test(tc, failing_filter_ends_with_named_error);
    tcase_add_test(tc, async_filter_completes_later);
    tcase_add_test(tc, silent_filter_times_out_and_late_answer_is_harmless);
    tcase_add_test(tc, unsubscribe_during_dispatch_is_safe);
    tcase_add_test(tc, undeclared_and_mismatched_events_are_refused);
    tcase_add_test(tc, notifications_fan_out_after_the_call);
    tcase_add_test(tc, data_version_checked_at_start);
    tcase_add_test(tc, services_are_versioned);
    tcase_add_test(tc, timers_and_defer);
    tcase_add_test(tc, workers_complete_on_the_loop);
    tcase_add_test(tc, password_hash_and_verify_off_the_loop);
    tcase_add_test(tc, verified_password_cache_never_lies);
    tcase_add_test(tc, host_table_guards);
    suite_add_tcase(s, tc);
    return glv_test_run(s);
}
