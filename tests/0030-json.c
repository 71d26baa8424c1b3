/* dd_json: parser (escapes, surrogates, numbers as text, errors with
 * offsets, depth limit) and writer (escaping, commas). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "dd_json.h"

static dd_json_doc *doc;

static void setup(void)
{
    doc = dd_json_doc_new();
}
static void teardown(void)
{
    dd_json_doc_destroy(doc);
}

TestSuite(json, .init = setup, .fini = teardown);

static const dd_json_value *P(const char *s)
{
    return dd_json_parse(doc, s, strlen(s));
}

Test(json, object_members_and_types)
{
    const dd_json_value *r =
        P(" {\"a\":1, \"b\" : \"x\", \"c\":[true,false,null], \"d\":{\"e\":-0.5e+3}} ");
    cr_assert_not_null(r, "%s", dd_json_error(doc));
    cr_assert_eq(r->type, DD_JSON_OBJECT);
    cr_assert_eq(r->n, 4);
    const dd_json_value *a = dd_json_get(r, "a");
    cr_assert_eq(a->type, DD_JSON_NUMBER);
    cr_assert_str_eq(a->str, "1");
    cr_assert_str_eq(dd_json_get(r, "b")->str, "x");
    const dd_json_value *c = dd_json_get(r, "c");
    cr_assert_eq(c->type, DD_JSON_ARRAY);
    cr_assert_eq(c->n, 3);
    const dd_json_value *e = dd_json_first(c);
    cr_assert_eq(e->type, DD_JSON_TRUE);
    e = dd_json_next(e, c);
    cr_assert_eq(e->type, DD_JSON_FALSE);
    e = dd_json_next(e, c);
    cr_assert_eq(e->type, DD_JSON_NULL);
    cr_assert_null(dd_json_next(e, c));
    const dd_json_value *d = dd_json_get(dd_json_get(r, "d"), "e");
    cr_assert_str_eq(d->str, "-0.5e+3");
    cr_assert_null(dd_json_get(r, "zz"));
    /* siblings skip whole subtrees */
    const dd_json_value *m = dd_json_first(r);
    const char *keys[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++, m = dd_json_next(m, r))
        cr_assert_eq(strncmp(m->key, keys[i], m->key_len), 0);
    cr_assert_null(m);
}

Test(json, numbers_keep_exact_text)
{
    const dd_json_value *r = P("[12345.67, 0.10, 100000000.00, 1.234, 0]");
    cr_assert_not_null(r);
    const char *exp[] = {"12345.67", "0.10", "100000000.00", "1.234", "0"};
    int i = 0;
    for (const dd_json_value *v = dd_json_first(r); v; v = dd_json_next(v, r), i++)
        cr_assert_str_eq(v->str, exp[i]);
    cr_assert_eq(i, 5);
    int64_t x;
    cr_assert_eq(dd_json_int(P("-9223372036854775808"), &x), 0);
    cr_assert_eq(x, INT64_MIN);
    cr_assert_eq(dd_json_int(P("9223372036854775808"), &x), -1);
    cr_assert_eq(dd_json_int(P("1.0"), &x), -1);
    cr_assert_eq(dd_json_int(P("42"), &x), 0);
    cr_assert_eq(x, 42);
}

Test(json, string_escapes_and_utf8)
{
    const dd_json_value *r =
        P("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9\\u4e2d\\ud83d\\ude00\xe9\x95\xbf\"");
    cr_assert_not_null(r, "%s", dd_json_error(doc));
    const char exp[] = "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\xe9\x95\xbf";
    cr_assert_eq(r->len, strlen(exp));
    cr_assert_eq(memcmp(r->str, exp, r->len), 0);
    /* \u0000 decodes to a NUL byte inside the string (len tells) */
    r = P("\"x\\u0000y\"");
    cr_assert_not_null(r);
    cr_assert_eq(r->len, 3);
}

Test(json, errors_with_offsets)
{
    struct {
        const char *text, *msg;
    } bad[] = {
        {"", "byte 0: value expected"},
        {"{", "byte 1: expected a member name"},
        {"{\"a\" 1}", "byte 5: expected ':'"},
        {"{\"a\":1,}", "byte 7: expected a member name"},
        {"[1 2]", "byte 3: expected ',' or ']'"},
        {"[01]", "byte 2: expected ',' or ']'"},
        {"1.", "byte 0: bad number: digit expected after '.'"},
        {"-", "byte 0: bad number"},
        {"1e", "byte 0: bad number: digit expected in exponent"},
        {"\"abc", "byte 0: unterminated string"},
        {"\"a\x01\"", "byte 2: control character in string"},
        {"\"\\x\"", "byte 1: bad escape"},
        {"\"\\u12G4\"", "byte 1: bad \\u escape"},
        {"\"\\ud83d\"", "byte 1: unpaired high surrogate"},
        {"\"\\ude00\"", "byte 1: unpaired low surrogate"},
        {"\"\xff\"", "byte 1: invalid UTF-8 in string"},
        {"\"\xc0\xaf\"", "byte 1: invalid UTF-8 in string"},
        {"tru", "byte 0: unexpected character"},
        {"{} x", "byte 3: trailing characters after the value"},
        {"'a'", "byte 0: unexpected character"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_null(P(bad[i].text), "accepted %s", bad[i].text);
        cr_assert_str_eq(dd_json_error(doc), bad[i].msg, "%s", bad[i].text);
    }
}

Test(json, depth_limit)
{
    char buf[300];
    int n = DD_JSON_MAX_DEPTH;
    memset(buf, '[', (size_t)n);
    memset(buf + n, ']', (size_t)n);
    cr_assert_not_null(dd_json_parse(doc, buf, (size_t)(2 * n)));
    memset(buf, '[', (size_t)n + 1);
    memset(buf + n + 1, ']', (size_t)n + 1);
    cr_assert_null(dd_json_parse(doc, buf, (size_t)(2 * n + 2)));
    cr_assert(strstr(dd_json_error(doc), "nesting too deep"));
}

Test(json, doc_reuse_and_big_input)
{
    /* many nodes force the node array to grow; reuse after that */
    static char big[200000];
    size_t p = 0;
    big[p++] = '[';
    for (int i = 0; i < 20000; i++)
        p += (size_t)snprintf(big + p, sizeof big - p, "%s\"s%d\"", i ? "," : "", i);
    big[p++] = ']';
    const dd_json_value *r = dd_json_parse(doc, big, p);
    cr_assert_not_null(r);
    cr_assert_eq(r->n, 20000);
    const dd_json_value *last = r + r->size - 1;
    cr_assert_str_eq(last->str, "s19999");
    r = P("{\"k\":\"v\"}");
    cr_assert_str_eq(dd_json_get(r, "k")->str, "v");
}

Test(json, writer)
{
    dd_jw w;
    dd_jw_init(&w);
    dd_jw_object_begin(&w);
    dd_jw_key(&w, "s");
    dd_jw_string(&w, "q\"b\\n\n\x01中");
    dd_jw_key(&w, "a");
    dd_jw_array_begin(&w);
    dd_jw_int(&w, -5);
    dd_jw_bool(&w, 1);
    dd_jw_null(&w);
    dd_jw_object_begin(&w);
    dd_jw_object_end(&w);
    dd_jw_array_begin(&w);
    dd_jw_array_end(&w);
    dd_jw_array_end(&w);
    dd_jw_key(&w, "r");
    dd_jw_raw(&w, "1.50", 4);
    dd_jw_object_end(&w);
    cr_assert_str_eq(w.buf, "{\"s\":\"q\\\"b\\\\n\\n\\u0001中\",\"a\":[-5,true,null,{},[]],\"r\":1.50}");
    /* what we write, we read back */
    const dd_json_value *r = dd_json_parse(doc, w.buf, w.len);
    cr_assert_not_null(r);
    cr_assert_str_eq(dd_json_get(r, "s")->str, "q\"b\\n\n\x01中");
    dd_jw_reset(&w);
    dd_jw_string(&w, "x");
    cr_assert_str_eq(w.buf, "\"x\"");
    dd_jw_free(&w);
}

Test(json, writer_new_document_has_no_separator)
{
    dd_jw w;
    dd_jw_init(&w);
    dd_jw_object_begin(&w);
    dd_jw_key(&w, "a");
    dd_jw_int(&w, 1);
    dd_jw_object_end(&w);
    size_t first = w.len;
    dd_jw_new_document(&w);
    dd_jw_object_begin(&w);
    dd_jw_key(&w, "b");
    dd_jw_int(&w, 2);
    dd_jw_object_end(&w);
    cr_assert_eq(w.oom, 0);
    cr_assert_eq(first, 7);
    cr_assert_eq(w.len, 14);
    cr_assert(memcmp(w.buf, "{\"a\":1}{\"b\":2}", 14) == 0, "%.*s", (int)w.len, w.buf);
    dd_jw_free(&w);
}

Test(json, writer_base64_values)
{
    dd_jw w;
    dd_jw_init(&w);
    dd_jw_array_begin(&w);
    dd_jw_base64(&w, "", 0);
    dd_jw_base64(&w, "f", 1);
    dd_jw_base64(&w, "fo", 2);
    dd_jw_base64(&w, "foo", 3);
    dd_jw_base64(&w, "\xff\xfe\x00", 3);
    dd_jw_array_end(&w);
    const char *want = "[\"\",\"Zg==\",\"Zm8=\",\"Zm9v\",\"//4A\"]";
    cr_assert_eq(w.len, strlen(want));
    cr_assert(memcmp(w.buf, want, w.len) == 0, "%.*s", (int)w.len, w.buf);
    dd_jw_free(&w);
}
