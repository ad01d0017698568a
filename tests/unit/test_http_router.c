/* Tests of the HTTP router: pattern compilation, precedence, parameters. */
#include "check_run.h"
#include "http_router-internal.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int tag_literal, tag_param, tag_tail, tag_post, tag_deep;

static void handler(glv_http_request *req, void *arg)
{
    (void)req;
    (void)arg;
}

static glv_http_router *make_router(void)
{
    glv_http_router *r = glv_http_router_new();
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(glv_http_router_add(r, "GET", "/a/{x}", handler, &tag_param, NULL, NULL), 0);
    ck_assert_int_eq(glv_http_router_add(r, "GET", "/a/b", handler, &tag_literal, NULL, NULL), 0);
    ck_assert_int_eq(glv_http_router_add(r, "post", "/a/b", handler, &tag_post, NULL, NULL), 0);
    ck_assert_int_eq(glv_http_router_add(r, "GET", "/a/{rest*}", handler, &tag_tail, NULL, NULL),
                     0);
    ck_assert_int_eq(
        glv_http_router_add(r, "GET", "/c/{id}/d/{cmd}", handler, &tag_deep, NULL, NULL), 0);
    return r;
}

static const char *param(const glv_http_match *m, const char *name)
{
    for (size_t i = 0; i < m->nparams; i++) {
        if (strcmp(m->names[i], name) == 0)
            return m->values[i];
    }
    return NULL;
}

START_TEST(literal_beats_parameter_beats_tail)
{
    glv_http_router *r = make_router();
    glv_http_match m;
    ck_assert_int_eq(glv_http_router_match(r, "GET", "/a/b", &m), GLV_HTTP_ROUTE_FOUND);
    ck_assert_ptr_eq(m.route->arg, &tag_literal);
    ck_assert_uint_eq(m.nparams, 0);
    glv_http_match_clear(&m);

    ck_assert_int_eq(glv_http_router_match(r, "GET", "/a/zz", &m), GLV_HTTP_ROUTE_FOUND);
    ck_assert_ptr_eq(m.route->arg, &tag_param);
    ck_assert_str_eq(param(&m, "x"), "zz");
    glv_http_match_clear(&m);

    ck_assert_int_eq(glv_http_router_match(r, "GET", "/a/b/c%2Fd", &m), GLV_HTTP_ROUTE_FOUND);
    ck_assert_ptr_eq(m.route->arg, &tag_tail);
    ck_assert_str_eq(param(&m, "rest"), "b/c/d");
    glv_http_match_clear(&m);

    /* HEAD is served by the GET route. */
    ck_assert_int_eq(glv_http_router_match(r, "HEAD", "/a/b", &m), GLV_HTTP_ROUTE_FOUND);
    ck_assert_ptr_eq(m.route->arg, &tag_literal);
    glv_http_match_clear(&m);

    ck_assert_int_eq(glv_http_router_match(r, "POST", "/a/b", &m), GLV_HTTP_ROUTE_FOUND);
    ck_assert_ptr_eq(m.route->arg, &tag_post);
    glv_http_match_clear(&m);
    glv_http_router_free(r);
}
END_TEST

START_TEST(parameters_are_decoded)
{
    glv_http_router *r = make_router();
    glv_http_match m;
    ck_assert_int_eq(glv_http_router_match(r, "GET", "/c/CP%20001/d/reset", &m),
                     GLV_HTTP_ROUTE_FOUND);
    ck_assert_ptr_eq(m.route->arg, &tag_deep);
    ck_assert_uint_eq(m.nparams, 2);
    ck_assert_str_eq(param(&m, "id"), "CP 001");
    ck_assert_str_eq(param(&m, "cmd"), "reset");
    glv_http_match_clear(&m);

    /* An empty segment is no parameter value. */
    ck_assert_int_eq(glv_http_router_match(r, "GET", "/c//d/reset", &m), GLV_HTTP_ROUTE_NOT_FOUND);
    glv_http_match_clear(&m);
    /* Bad escapes and encoded NULs are refused. */
    ck_assert_int_eq(glv_http_router_match(r, "GET", "/a/%zz", &m), GLV_HTTP_ROUTE_BAD_PATH);
    glv_http_match_clear(&m);
    ck_assert_int_eq(glv_http_router_match(r, "GET", "/a/x%00", &m), GLV_HTTP_ROUTE_BAD_PATH);
    glv_http_match_clear(&m);
    ck_assert_int_eq(glv_http_router_match(r, "GET", "/a/x%4", &m), GLV_HTTP_ROUTE_BAD_PATH);
    glv_http_match_clear(&m);
    glv_http_router_free(r);
}
END_TEST

START_TEST(not_found_and_method_not_allowed)
{
    glv_http_router *r = make_router();
    glv_http_match m;
    ck_assert_int_eq(glv_http_router_match(r, "GET", "/nothing", &m), GLV_HTTP_ROUTE_NOT_FOUND);
    glv_http_match_clear(&m);
    ck_assert_int_eq(glv_http_router_match(r, "GET", "/a", &m), GLV_HTTP_ROUTE_NOT_FOUND);
    glv_http_match_clear(&m);
    ck_assert_int_eq(glv_http_router_match(r, "DELETE", "/a/b", &m), GLV_HTTP_ROUTE_METHOD);
    ck_assert_str_eq(m.allow, "GET, HEAD, POST");
    glv_http_match_clear(&m);
    ck_assert_int_eq(glv_http_router_match(r, "PUT", "/c/1/d/2", &m), GLV_HTTP_ROUTE_METHOD);
    ck_assert_str_eq(m.allow, "GET, HEAD");
    glv_http_match_clear(&m);
    glv_http_router_free(r);
}
END_TEST

START_TEST(bad_and_duplicate_patterns)
{
    glv_http_router *r = make_router();
    const char *bad[] = {"",         "a/b",        "/{}",         "/{x",    "/x}",
                         "/{a}/{a}", "/{t*}/more", "/with space", "/{x-y}", "/q?x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_int_eq(glv_http_router_add(r, "GET", bad[i], handler, NULL, NULL, NULL), -EINVAL);
    ck_assert_int_eq(glv_http_router_add(r, "G ET", "/ok", handler, NULL, NULL, NULL), -EINVAL);
    /* The same shape with other parameter names is the same route. */
    ck_assert_int_eq(glv_http_router_add(r, "GET", "/a/{y}", handler, NULL, NULL, NULL), -EEXIST);
    ck_assert_int_eq(glv_http_router_add(r, "GET", "/a/b", handler, NULL, NULL, NULL), -EEXIST);
    ck_assert_int_eq(glv_http_router_add(r, "PUT", "/a/{y}", handler, NULL, NULL, NULL), 0);
    glv_http_router_free(r);
}
END_TEST

START_TEST(root_and_trailing_slash)
{
    glv_http_router *r = glv_http_router_new();
    ck_assert_int_eq(glv_http_router_add(r, "GET", "/", handler, &tag_literal, NULL, NULL), 0);
    ck_assert_int_eq(glv_http_router_add(r, "GET", "/files/{p*}", handler, &tag_tail, NULL, NULL),
                     0);
    glv_http_match m;
    ck_assert_int_eq(glv_http_router_match(r, "GET", "/", &m), GLV_HTTP_ROUTE_FOUND);
    ck_assert_ptr_eq(m.route->arg, &tag_literal);
    glv_http_match_clear(&m);
    ck_assert_int_eq(glv_http_router_match(r, "GET", "/files/", &m), GLV_HTTP_ROUTE_FOUND);
    ck_assert_str_eq(param(&m, "p"), "");
    glv_http_match_clear(&m);
    ck_assert_int_eq(glv_http_router_match(r, "GET", "/files", &m), GLV_HTTP_ROUTE_NOT_FOUND);
    glv_http_match_clear(&m);
    ck_assert_int_eq(glv_http_router_match(r, "GET", "relative", &m), GLV_HTTP_ROUTE_BAD_PATH);
    glv_http_match_clear(&m);
    glv_http_router_free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_router");
    TCase *tc = tcase_create("router");
    tcase_add_test(tc, literal_beats_parameter_beats_tail);
    tcase_add_test(tc, parameters_are_decoded);
    tcase_add_test(tc, not_found_and_method_not_allowed);
    tcase_add_test(tc, bad_and_duplicate_patterns);
    tcase_add_test(tc, root_and_trailing_slash);
    suite_add_tcase(s, tc);
    return glv_test_run(s);
}
