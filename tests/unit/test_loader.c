/* The plugin loader: every refusal prints one clear line; lifecycle order. */
#include "bus-internal.h"
#include "check_run.h"
#include "loader-internal.h"
#include "loop_test.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static glv_core *core;
static glv_loader *loader;

static void setup(void)
{
    core = glv_core_new("test", 1);
    ck_assert_ptr_nonnull(core);
    loader = glv_loader_new(core);
    ck_assert_int_eq(glv_loader_add_dir(loader, glv_test_plugin_dir()), 0);
}

static void teardown(void)
{
    glv_loader_free(loader);
    glv_core_free(core);
}

/* Loads the named plugins (all required) and returns the error, or NULL. */
static char *load_error(const char *const *names)
{
    glv_plugin_spec specs[8];
    size_t n = 0;
    for (; names[n]; n++)
        specs[n] = (glv_plugin_spec){.name = names[n]};
    char *err = NULL;
    int rc = glv_loader_load(loader, specs, n, &err);
    ck_assert_int_eq(rc == 0, err == NULL);
    if (err)
        ck_assert_ptr_null(strchr(err, '\n')); /* one line */
    return err;
}

static void assert_refused(const char *name, const char *const *needles)
{
    const char *names[] = {name, NULL};
    char *err = load_error(names);
    ck_assert_msg(err != NULL, "plugin %s was not refused", name);
    for (size_t i = 0; needles[i]; i++)
        ck_assert_msg(strstr(err, needles[i]) != NULL, "'%s' missing from: %s", needles[i], err);
    free(err);
}

START_TEST(refuses_bad_magic)
{
    const char *n[] = {"plugin 'bad_magic'", "not a galvani plugin", "bad magic 0x12345678",
                       "rebuild", NULL};
    assert_refused("bad_magic", n);
}
END_TEST

START_TEST(refuses_other_major)
{
    char built[48], provides[48];
    snprintf(built, sizeof built, "built for ABI %d.%d", GLV_ABI_MAJOR + 1, GLV_ABI_MINOR);
    snprintf(provides, sizeof provides, "galvanid provides ABI %d.%d", GLV_ABI_MAJOR,
             GLV_ABI_MINOR);
    const char *n[] = {"plugin 'abi_major_differs'", built, provides, "major differs",
                       "rebuild abi_major_differs",  NULL};
    assert_refused("abi_major_differs", n);
}
END_TEST

START_TEST(refuses_newer_minor)
{
    char needs[48], provides[48];
    snprintf(needs, sizeof needs, "needs ABI %d.%d", GLV_ABI_MAJOR, GLV_ABI_MINOR + 1);
    snprintf(provides, sizeof provides, "provides ABI %d.%d", GLV_ABI_MAJOR, GLV_ABI_MINOR);
    const char *n[] = {"plugin 'abi_minor_newer'", needs, provides, "upgrade galvani", NULL};
    assert_refused("abi_minor_newer", n);
}
END_TEST

START_TEST(refuses_small_descriptor)
{
    const char *n[] = {"plugin 'descriptor_too_small'", "descriptor is 16 bytes", "rebuild", NULL};
    assert_refused("descriptor_too_small", n);
}
END_TEST

START_TEST(refuses_missing_entry)
{
    const char *n[] = {"plugin 'no_entry'", "no glv_plugin_entry symbol", "GLV_PLUGIN_EXPORT",
                       NULL};
    assert_refused("no_entry", n);
}
END_TEST

START_TEST(refuses_misnamed)
{
    const char *n[] = {"plugin 'misnamed'", "calls itself 'other-name'", NULL};
    assert_refused("misnamed", n);
}
END_TEST

START_TEST(refuses_not_found)
{
    const char *n[] = {"plugin 'nowhere'", "nowhere.so not found in", glv_test_plugin_dir(), NULL};
    assert_refused("nowhere", n);
}
END_TEST

START_TEST(refuses_missing_dependency)
{
    const char *n[] = {"plugin 'needs_missing' depends on plugin 'absent-plugin'",
                       "which is not loaded", "add 'absent-plugin'", NULL};
    assert_refused("needs_missing", n);
}
END_TEST

START_TEST(refuses_cycle)
{
    const char *names[] = {"cycle_a", "cycle_b", NULL};
    char *err = load_error(names);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "cycle_a -> cycle_b -> cycle_a") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "depend on each other in a cycle") != NULL, "%s", err);
    free(err);
}
END_TEST

START_TEST(refuses_duplicate)
{
    const char *names[] = {"svc_provider", "svc_provider", NULL};
    char *err = load_error(names);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "listed twice") != NULL, "%s", err);
    free(err);
}
END_TEST

START_TEST(optional_failure_is_left_out)
{
    glv_plugin_spec specs[] = {{.name = "bad_magic", .optional = true}, {.name = "svc_provider"}};
    char *err = NULL;
    ck_assert_int_eq(glv_loader_load(loader, specs, 2, &err), 0);
    ck_assert_ptr_null(glv_loader_find(loader, "bad_magic"));
    ck_assert_ptr_nonnull(glv_loader_find(loader, "svc_provider"));
}
END_TEST

START_TEST(dependencies_ordered_first)
{
    /* Listed consumer first: the provider must still init first. */
    const char *names[] = {"svc_consumer", "svc_provider", NULL};
    ck_assert_ptr_null(load_error(names));
    const char *const *order = glv_loader_names(loader);
    ck_assert_str_eq(order[0], "svc_provider");
    ck_assert_str_eq(order[1], "svc_consumer");
    ck_assert_ptr_null(order[2]);
}
END_TEST

START_TEST(init_failure_gives_reason)
{
    const char *names[] = {"init_fails", NULL};
    ck_assert_ptr_null(load_error(names));
    char *err = NULL;
    ck_assert_int_eq(glv_loader_configure(loader, NULL, &err), 0);
    ck_assert_int_eq(glv_loader_init_all(loader, &err), -1);
    ck_assert_str_eq(err, "plugin 'init_fails' failed to initialize: cannot reach the token "
                          "server at tokens.example");
    free(err);
}
END_TEST

START_TEST(start_failure_gives_reason_and_finishes)
{
    const char *names[] = {"start_fails", NULL};
    ck_assert_ptr_null(load_error(names));
    char *err = NULL;
    ck_assert_int_eq(glv_loader_configure(loader, NULL, &err), 0);
    ck_assert_int_eq(glv_loader_init_all(loader, &err), 0);
    ck_assert_int_eq(glv_loader_start_all(loader, &err), -1);
    ck_assert_str_eq(err, "plugin 'start_fails' failed to start: certificate file is unreadable");
    free(err);
    ck_assert_int_eq(glv_loader_find(loader, "start_fails")->state, GLV_PLUGIN_FINISHED);
}
END_TEST

START_TEST(optional_start_failure_keeps_others)
{
    glv_plugin_spec specs[] = {{.name = "start_fails", .optional = true}, {.name = "svc_provider"}};
    char *err = NULL;
    ck_assert_int_eq(glv_loader_load(loader, specs, 2, &err), 0);
    ck_assert_int_eq(glv_loader_configure(loader, NULL, &err), 0);
    ck_assert_int_eq(glv_loader_init_all(loader, &err), 0);
    ck_assert_int_eq(glv_loader_start_all(loader, &err), 0);
    ck_assert_ptr_null(glv_loader_find(loader, "start_fails"));
    ck_assert_int_eq(glv_loader_find(loader, "svc_provider")->state, GLV_PLUGIN_STARTED);
}
END_TEST

START_TEST(service_too_old_is_refused)
{
    const char *names[] = {"svc_provider", "svc_needs_newer", NULL};
    ck_assert_ptr_null(load_error(names));
    char *err = NULL;
    ck_assert_int_eq(glv_loader_configure(loader, NULL, &err), 0);
    ck_assert_int_eq(glv_loader_init_all(loader, &err), 0);
    ck_assert_int_eq(glv_loader_start_all(loader, &err), -1);
    ck_assert_msg(strstr(err, "needs service 'greeting' version >= 3") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "plugin svc_provider provides version 2") != NULL, "%s", err);
    free(err);
}
END_TEST

START_TEST(service_missing_is_refused)
{
    const char *names[] = {"svc_needs_newer", NULL};
    ck_assert_ptr_null(load_error(names));
    char *err = NULL;
    ck_assert_int_eq(glv_loader_configure(loader, NULL, &err), 0);
    ck_assert_int_eq(glv_loader_init_all(loader, &err), 0);
    ck_assert_int_eq(glv_loader_start_all(loader, &err), -1);
    ck_assert_msg(strstr(err, "needs service 'greeting', which no loaded plugin provides") != NULL,
                  "%s", err);
    free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("loader");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, refuses_bad_magic);
    tcase_add_test(tc, refuses_other_major);
    tcase_add_test(tc, refuses_newer_minor);
    tcase_add_test(tc, refuses_small_descriptor);
    tcase_add_test(tc, refuses_missing_entry);
    tcase_add_test(tc, refuses_misnamed);
    tcase_add_test(tc, refuses_not_found);
    tcase_add_test(tc, refuses_missing_dependency);
    tcase_add_test(tc, refuses_cycle);
    tcase_add_test(tc, refuses_duplicate);
    tcase_add_test(tc, optional_failure_is_left_out);
    tcase_add_test(tc, dependencies_ordered_first);
    tcase_add_test(tc, init_failure_gives_reason);
    tcase_add_test(tc, start_failure_gives_reason_and_finishes);
    tcase_add_test(tc, optional_start_failure_keeps_others);
    tcase_add_test(tc, service_too_old_is_refused);
    tcase_add_test(tc, service_missing_is_refused);
    suite_add_tcase(s, tc);
    return glv_test_run(s);
}
