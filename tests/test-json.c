/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "dispatch-json.h"

#define TS_2026_11_22 G_GINT64_CONSTANT (1795341600000000)
#define TS_MIN G_GINT64_CONSTANT (-62135596800000000)
#define TS_MAX G_GINT64_CONSTANT (253402300799999999)

/* Parsing */

typedef struct {
  const char *text;
  gssize length;
  const char *message;
  const char *field;
} RejectCase;

static const RejectCase reject_cases[] = {
  /* Encoding */
  { "{\"a\":\"\xff\"}", -1, "JSON text is not valid UTF-8", NULL },
  { "{\"a\":\"\xc3\"}", -1, "JSON text is not valid UTF-8", NULL },
  { "{\"a\":\"\xed\xa0\x80\"}", -1, "JSON text is not valid UTF-8", NULL },
  { "{\"a\":1}\0", 8, "JSON text is not valid UTF-8", NULL },
  /* What json-glib 1.6 would accept */
  { "{'a':1}", -1, "malformed JSON at line 1, column 2: expected a string", NULL },
  { "{\"a\":1}{}", -1,
    "malformed JSON at line 1, column 8: unexpected text after the value", NULL },
  { "{\"a\":1} x", -1,
    "malformed JSON at line 1, column 9: unexpected text after the value", NULL },
  { "{\"a\":1 /* c */}", -1, "malformed JSON at line 1, column 8: expected ',' or '}'", NULL },
  { "{\"a\":0x10}", -1, "malformed JSON at line 1, column 7: expected ',' or '}'", NULL },
  { "{\"a\":01}", -1, "malformed JSON at line 1, column 6: numbers must not have leading zeros",
    NULL },
  { "{\"a\":-01}", -1,
    "malformed JSON at line 1, column 7: numbers must not have leading zeros", NULL },
  { "{\"a\":.5}", -1, "malformed JSON at line 1, column 6: expected a value", NULL },
  { "{\"a\":1.}", -1,
    "malformed JSON at line 1, column 8: expected a digit after the decimal point", NULL },
  { "{\"a\":1e}", -1, "malformed JSON at line 1, column 8: expected a digit in the exponent",
    NULL },
  { "{\"a\":1e+}", -1, "malformed JSON at line 1, column 9: expected a digit in the exponent",
    NULL },
  { "{\"a\":-}", -1, "malformed JSON at line 1, column 7: expected a digit", NULL },
  { "{\"a\":+1}", -1, "malformed JSON at line 1, column 6: expected a value", NULL },
  { "{\"a\":NaN}", -1, "malformed JSON at line 1, column 6: expected a value", NULL },
  { "{\"a\":Infinity}", -1, "malformed JSON at line 1, column 6: expected a value", NULL },
  { "{\"a\":tru}", -1, "malformed JSON at line 1, column 6: expected a value", NULL },
  { "{\"a\":True}", -1, "malformed JSON at line 1, column 6: expected a value", NULL },
  { "{a:1}", -1, "malformed JSON at line 1, column 2: expected a string", NULL },
  /* Structure */
  { "", -1, "malformed JSON at line 1, column 1: expected a value", NULL },
  { "   ", -1, "malformed JSON at line 1, column 4: expected a value", NULL },
  { "\f{}", -1, "malformed JSON at line 1, column 1: expected a value", NULL },
  { "{", -1, "malformed JSON at line 1, column 2: expected a string", NULL },
  { "{\"a\":1,}", -1, "malformed JSON at line 1, column 8: expected a string", NULL },
  { "{\"a\":[1,]}", -1, "malformed JSON at line 1, column 9: expected a value", NULL },
  { "{\"a\":[1 2]}", -1, "malformed JSON at line 1, column 9: expected ',' or ']'", NULL },
  { "{\"a\" 1}", -1, "malformed JSON at line 1, column 6: expected ':'", NULL },
  { "{\"a\":1", -1, "malformed JSON at line 1, column 7: expected ',' or '}'", NULL },
  { "{\n  \"a\": 1,\n  \"b\": x\n}", -1,
    "malformed JSON at line 3, column 8: expected a value", NULL },
  /* Columns count characters, not bytes. */
  { "{\"é\": x}", -1, "malformed JSON at line 1, column 7: expected a value", NULL },
  /* Strings */
  { "{\"a\":\"abc", -1, "malformed JSON at line 1, column 10: unterminated string", NULL },
  { "{\"a\":\"a\tb\"}", -1,
    "malformed JSON at line 1, column 8: unescaped control character in string", NULL },
  { "{\"a\":\"\\x\"}", -1, "malformed JSON at line 1, column 7: invalid escape in string", NULL },
  { "{\"a\":\"x\\u0000y\"}", -1,
    "malformed JSON at line 1, column 8: strings must not contain \\u0000", NULL },
  { "{\"a\":\"\\u12g4\"}", -1,
    "malformed JSON at line 1, column 7: expected four hex digits after \\u", NULL },
  { "{\"a\":\"\\udc00\"}", -1,
    "malformed JSON at line 1, column 7: unpaired surrogate in \\u escape", NULL },
  { "{\"a\":\"\\ud800\"}", -1,
    "malformed JSON at line 1, column 7: unpaired surrogate in \\u escape", NULL },
  { "{\"a\":\"x\\ud800\\u0041\"}", -1,
    "malformed JSON at line 1, column 8: unpaired surrogate in \\u escape", NULL },
  { "{\"a\":\"\\ud800\\\\\"}", -1,
    "malformed JSON at line 1, column 7: unpaired surrogate in \\u escape", NULL },
  { "{\"a\":\"\\", -1, "malformed JSON at line 1, column 7: unterminated string", NULL },
  /* Integers json-glib would wrap */
  { "{\"a\":99999999999999999999}", -1,
    "malformed JSON at line 1, column 6: integer out of the 64-bit range", NULL },
  { "{\"a\":9223372036854775808}", -1,
    "malformed JSON at line 1, column 6: integer out of the 64-bit range", NULL },
  { "{\"a\":-9223372036854775809}", -1,
    "malformed JSON at line 1, column 7: integer out of the 64-bit range", NULL },
  /* Root */
  { "[1]", -1, "JSON text must be an object", NULL },
  { "1", -1, "JSON text must be an object", NULL },
  { "\"s\"", -1, "JSON text must be an object", NULL },
  { "null", -1, "JSON text must be an object", NULL },
  /* Non-finite numbers, found anywhere in the tree */
  { "{\"a\":1e999}", -1, "a must be a finite number", "a" },
  { "{\"a\":-1e999}", -1, "a must be a finite number", "a" },
  { "{\"p\":{\"q\":[1,{\"r\":2},{\"r\":-1e400}]}}", -1, "p.q[2].r must be a finite number",
    "p.q[2].r" },
  { "{\"ok\":1.5,\"deep\":[[[1e5000]]]}", -1, "deep[0][0][0] must be a finite number",
    "deep[0][0][0]" },
};

static void
test_parse_reject (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (reject_cases); i++)
    {
      const RejectCase *c = &reject_cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) object = NULL;
      g_autofree char *escaped = g_strescape (c->text, NULL);

      g_test_message ("case %u: %s", i, escaped);
      object = dispatch_json_parse_object (c->text, c->length, &error);
      g_assert_null (object);
      g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, c->message);
      g_assert_cmpstr (dispatch_error_get_field (error), ==, c->field);
    }
}

static char *
nested_arrays (guint depth)
{
  GString *text = g_string_new ("{\"a\":");

  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');
  return g_string_free (text, FALSE);
}

static void
test_parse_depth (void)
{
  g_autofree char *deepest = nested_arrays (DISPATCH_JSON_MAX_DEPTH - 1);
  g_autofree char *too_deep = nested_arrays (DISPATCH_JSON_MAX_DEPTH);
  /* Deep enough to overflow json-glib's stack if it ever got to see it. */
  g_autofree char *hostile = nested_arrays (200000);
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;

  /* The root object is the first level. */
  object = dispatch_json_parse_object (deepest, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (object);

  g_assert_null (dispatch_json_parse_object (too_deep, -1, &error));
  g_assert_cmpstr (error->message, ==, "malformed JSON at line 1, column 69: nested too deeply");
  g_clear_error (&error);

  g_assert_null (dispatch_json_parse_object (hostile, -1, &error));
  g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_INVALID_ARGUMENT);
}

static void
test_parse_accept (void)
{
  static const char text[] =
    " \t\r\n{\"neg_zero\":-0,\"exp\":1E+2,\"frac\":-0.25e-1,\"tiny\":1e-400,"
    "\"min\":-9223372036854775808,\"max\":9223372036854775807,"
    "\"str\":\"\\ud83d\\ude00\\u00e9\\/\\\"\\\\\\b\\f\\n\\r\\t\",\"raw\":\"grüße\","
    "\"arr\":[],\"obj\":{},\"nested\":{\"a\":[true,false,null]},\"\":0,"
    "\"dup\":1,\"dup\":2} \n";
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *array;

  object = dispatch_json_parse_object (text, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (object);

  g_assert_cmpint (json_object_get_int_member (object, "neg_zero"), ==, 0);
  g_assert_cmpfloat (json_object_get_double_member (object, "exp"), ==, 100.0);
  g_assert_cmpfloat (json_object_get_double_member (object, "frac"), ==, -0.025);
  g_assert_cmpfloat (json_object_get_double_member (object, "tiny"), ==, 0.0);
  g_assert_cmpint (json_object_get_int_member (object, "min"), ==, G_MININT64);
  g_assert_cmpint (json_object_get_int_member (object, "max"), ==, G_MAXINT64);
  g_assert_cmpstr (json_object_get_string_member (object, "str"), ==,
                   "\xf0\x9f\x98\x80\xc3\xa9/\"\\\b\f\n\r\t");
  g_assert_cmpstr (json_object_get_string_member (object, "raw"), ==, "grüße");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "arr")), ==, 0);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (object, "obj")), ==, 0);
  array = json_object_get_array_member (json_object_get_object_member (object, "nested"), "a");
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  g_assert_true (json_array_get_boolean_element (array, 0));
  g_assert_true (json_array_get_null_element (array, 2));
  g_assert_true (json_object_has_member (object, ""));
  g_assert_cmpint (json_object_get_int_member (object, "dup"), ==, 2);
}

/* The same tree as json-glib's own parser builds: node and value types,
 * values, member order. */
static void
assert_same_node (JsonNode *ours,
                  JsonNode *theirs)
{
  g_assert_cmpint (json_node_get_node_type (ours), ==, json_node_get_node_type (theirs));
  switch (json_node_get_node_type (ours))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *a = json_node_get_object (ours);
        JsonObject *b = json_node_get_object (theirs);
        g_autoptr(GList) names_a = json_object_get_members (a);
        g_autoptr(GList) names_b = json_object_get_members (b);

        g_assert_cmpuint (g_list_length (names_a), ==, g_list_length (names_b));
        for (GList *x = names_a, *y = names_b; x != NULL; x = x->next, y = y->next)
          {
            g_assert_cmpstr (x->data, ==, y->data);
            assert_same_node (json_object_get_member (a, x->data),
                              json_object_get_member (b, y->data));
          }
        break;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *a = json_node_get_array (ours);
        JsonArray *b = json_node_get_array (theirs);

        g_assert_cmpuint (json_array_get_length (a), ==, json_array_get_length (b));
        for (guint i = 0; i < json_array_get_length (a); i++)
          assert_same_node (json_array_get_element (a, i), json_array_get_element (b, i));
        break;
      }
    case JSON_NODE_VALUE:
      g_assert_true (json_node_get_value_type (ours) == json_node_get_value_type (theirs));
      if (json_node_get_value_type (ours) == G_TYPE_STRING)
        g_assert_cmpstr (json_node_get_string (ours), ==, json_node_get_string (theirs));
      else if (json_node_get_value_type (ours) == G_TYPE_INT64)
        g_assert_cmpint (json_node_get_int (ours), ==, json_node_get_int (theirs));
      else if (json_node_get_value_type (ours) == G_TYPE_DOUBLE)
        g_assert_cmpmem (&(double) { json_node_get_double (ours) }, sizeof (double),
                         &(double) { json_node_get_double (theirs) }, sizeof (double));
      else
        g_assert_cmpint (json_node_get_boolean (ours), ==, json_node_get_boolean (theirs));
      break;
    case JSON_NODE_NULL:
      break;
    }
}

static void
test_parse_as_json_glib (void)
{
  static const char * const texts[] = {
    "{}",
    "{\"neg_zero\":-0,\"neg_zero_f\":-0.0,\"exp\":1E+2,\"frac\":-0.25e-1,\"tiny\":1e-400,"
    "\"pi\":3.141592653589793,\"lat\":52.5219,\"lon\":-13.376,\"big\":1.7976931348623157e308,"
    "\"min\":-9223372036854775808,\"max\":9223372036854775807,\"one\":1.0}",
    "{\"str\":\"\\ud83d\\ude00\\u00e9\\u20ac\\/\\\"\\\\\\b\\f\\n\\r\\t\",\"raw\":\"grüße €\","
    "\"esc\\u0041\\n\":\"\\u007f\\u0001x\"}",
    " {\"b\":[true,false,null,[],{},[[1],{\"x\":[2.5,\"y\"]}]],\"a\":{\"z\":1,\"y\":2},"
    "\"\":0,\"dup\":1,\"dup\":{\"k\":[3]},\"c\":\"\"} \n",
    "{\"pickup\":{\"lat\":52.5219,\"lon\":13.4132,\"address\":\"Alexanderplatz 1\"},"
    "\"items\":[{\"sku\":\"pizza-margherita\",\"name\":\"Margherita\",\"quantity\":2,"
    "\"price_cents\":990}],\"contact\":{\"name\":\"Ada Lovelace\",\"phone\":\"+49 30 1234567\"},"
    "\"notes\":\"Ring twice\",\"priority\":0}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(JsonObject) ours = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(GError) error = NULL;

      ours = dispatch_json_parse_object (texts[i], -1, &error);
      g_assert_no_error (error);
      g_assert_true (json_parser_load_from_data (parser, texts[i], -1, &error));
      g_assert_no_error (error);
      node = json_node_init_object (json_node_alloc (), ours);
      assert_same_node (node, json_parser_get_root (parser));
    }
}

static void
test_parse_length (void)
{
  static const char text[] = "{\"a\":1}garbage";
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;

  /* Only the first @length bytes are read. */
  object = dispatch_json_parse_object (text, 7, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (object, "a"), ==, 1);
}

/* Getters */

typedef enum {
  GET_STRING,
  GET_DOUBLE,
  GET_INT,
  GET_BOOLEAN,
  GET_ENUM,
  GET_OBJECT,
  GET_ARRAY,
  GET_TIMESTAMP,
} Getter;

typedef struct {
  Getter getter;
  const char *prefix;
  const char *member;
  DispatchJsonFlags flags;
  double min;
  double max;
  gint64 imin;
  gint64 imax;
  guint max_length;
  /* The value printed by describe_result(), or the error. */
  const char *result;
  const char *field;
} GetterCase;

#define UNTOUCHED "(untouched)"
#define OK(value) .result = (value), .field = NULL
#define ERR(message, path) .result = (message), .field = (path)

static const char document[] =
  "{\"name\":\"Ada\",\"empty\":\"\",\"long\":\"ééééé\",\"num\":1.5,\"int\":3,\"intf\":3.0,"
  "\"e2\":1e2,\"big\":1e300,\"nbig\":-1e19,\"neg\":-2,\"h0\":0,\"h360\":360,\"flag\":true,"
  "\"nul\":null,\"obj\":{\"x\":1},\"arr\":[1,2,3],\"earr\":[],\"vehicle\":\"car\","
  "\"ts\":\"2026-11-22T10:00:00Z\",\"tsbad\":\"2026-11-22T10:00:00\",\"str_num\":\"5\"}";

static const char * const vehicles[] = { "bike", "scooter", "car", "van", NULL };

#define ANY_DOUBLE .min = -G_MAXDOUBLE, .max = G_MAXDOUBLE
#define ANY_INT .imin = G_MININT64, .imax = G_MAXINT64

static const GetterCase getter_cases[] = {
  /* Presence, shared by every getter */
  { GET_STRING, NULL, "name", DISPATCH_JSON_REQUIRED, OK ("Ada") },
  { GET_STRING, NULL, "nope", DISPATCH_JSON_REQUIRED, ERR ("nope is required", "nope") },
  { GET_STRING, NULL, "nope", DISPATCH_JSON_OPTIONAL, OK (UNTOUCHED) },
  { GET_STRING, "pickup", "nope", DISPATCH_JSON_REQUIRED,
    ERR ("pickup.nope is required", "pickup.nope") },
  { GET_STRING, "", "nope", DISPATCH_JSON_REQUIRED, ERR ("nope is required", "nope") },
  { GET_STRING, NULL, "nul", DISPATCH_JSON_OPTIONAL, ERR ("nul must be a string", "nul") },
  { GET_STRING, NULL, "nul", DISPATCH_JSON_NULLABLE, OK (UNTOUCHED) },
  { GET_STRING, NULL, "nul", DISPATCH_JSON_REQUIRED | DISPATCH_JSON_NULLABLE,
    ERR ("nul is required", "nul") },
  { GET_DOUBLE, "items[2]", "nope", DISPATCH_JSON_REQUIRED, ANY_DOUBLE,
    ERR ("items[2].nope is required", "items[2].nope") },
  { GET_INT, NULL, "nul", DISPATCH_JSON_NULLABLE, ANY_INT, OK (UNTOUCHED) },
  { GET_BOOLEAN, NULL, "nope", DISPATCH_JSON_REQUIRED, ERR ("nope is required", "nope") },
  { GET_ENUM, NULL, "nope", DISPATCH_JSON_REQUIRED, ERR ("nope is required", "nope") },
  { GET_ENUM, NULL, "nul", DISPATCH_JSON_NULLABLE, OK (UNTOUCHED) },
  { GET_OBJECT, NULL, "nope", DISPATCH_JSON_OPTIONAL, OK (UNTOUCHED) },
  { GET_ARRAY, NULL, "nope", DISPATCH_JSON_REQUIRED, ERR ("nope is required", "nope") },
  { GET_TIMESTAMP, NULL, "nope", DISPATCH_JSON_OPTIONAL, OK (UNTOUCHED) },

  /* Strings */
  { GET_STRING, NULL, "num", DISPATCH_JSON_REQUIRED, ERR ("num must be a string", "num") },
  { GET_STRING, NULL, "obj", DISPATCH_JSON_REQUIRED, ERR ("obj must be a string", "obj") },
  { GET_STRING, NULL, "long", DISPATCH_JSON_REQUIRED, .max_length = 5, OK ("ééééé") },
  { GET_STRING, NULL, "long", DISPATCH_JSON_REQUIRED, .max_length = 4,
    ERR ("long must be at most 4 characters", "long") },
  { GET_STRING, NULL, "empty", DISPATCH_JSON_REQUIRED, OK ("") },
  { GET_STRING, NULL, "empty", DISPATCH_JSON_NON_EMPTY,
    ERR ("empty must not be empty", "empty") },

  /* Doubles */
  { GET_DOUBLE, NULL, "num", DISPATCH_JSON_REQUIRED, 0, 2, OK ("1.5") },
  { GET_DOUBLE, NULL, "int", DISPATCH_JSON_REQUIRED, 0, 3, OK ("3") },
  { GET_DOUBLE, NULL, "big", DISPATCH_JSON_REQUIRED, -90, 90,
    ERR ("big must be within [-90, 90]", "big") },
  { GET_DOUBLE, "pickup", "neg", DISPATCH_JSON_REQUIRED, -1.5, 1.5,
    ERR ("pickup.neg must be within [-1.5, 1.5]", "pickup.neg") },
  { GET_DOUBLE, NULL, "neg", DISPATCH_JSON_REQUIRED, 0, G_MAXDOUBLE,
    ERR ("neg must be at least 0", "neg") },
  { GET_DOUBLE, NULL, "int", DISPATCH_JSON_REQUIRED, -INFINITY, 2,
    ERR ("int must be at most 2", "int") },
  { GET_DOUBLE, NULL, "int", DISPATCH_JSON_EXCLUSIVE_MAX, -G_MAXDOUBLE, 3,
    ERR ("int must be less than 3", "int") },
  { GET_DOUBLE, NULL, "h0", DISPATCH_JSON_EXCLUSIVE_MAX, 0, 360, OK ("0") },
  { GET_DOUBLE, NULL, "h360", DISPATCH_JSON_EXCLUSIVE_MAX, 0, 360,
    ERR ("h360 must be within [0, 360)", "h360") },
  { GET_DOUBLE, NULL, "h360", DISPATCH_JSON_REQUIRED, 0, 360, OK ("360") },
  { GET_DOUBLE, NULL, "big", DISPATCH_JSON_REQUIRED, 0, 100000,
    ERR ("big must be within [0, 100000]", "big") },
  { GET_DOUBLE, NULL, "str_num", DISPATCH_JSON_REQUIRED, ANY_DOUBLE,
    ERR ("str_num must be a number", "str_num") },
  { GET_DOUBLE, NULL, "flag", DISPATCH_JSON_REQUIRED, ANY_DOUBLE,
    ERR ("flag must be a number", "flag") },
  { GET_DOUBLE, NULL, "nul", DISPATCH_JSON_REQUIRED, ANY_DOUBLE,
    ERR ("nul must be a number", "nul") },

  /* Integers */
  { GET_INT, NULL, "int", DISPATCH_JSON_REQUIRED, ANY_INT, OK ("3") },
  { GET_INT, NULL, "intf", DISPATCH_JSON_REQUIRED, ANY_INT, OK ("3") },
  { GET_INT, NULL, "e2", DISPATCH_JSON_REQUIRED, ANY_INT, OK ("100") },
  { GET_INT, NULL, "num", DISPATCH_JSON_REQUIRED, ANY_INT, ERR ("num must be an integer", "num") },
  { GET_INT, "items[0]", "str_num", DISPATCH_JSON_REQUIRED, ANY_INT,
    ERR ("items[0].str_num must be an integer", "items[0].str_num") },
  { GET_INT, NULL, "flag", DISPATCH_JSON_REQUIRED, ANY_INT,
    ERR ("flag must be an integer", "flag") },
  { GET_INT, NULL, "int", DISPATCH_JSON_REQUIRED, .imin = 1, .imax = 2,
    ERR ("int must be within [1, 2]", "int") },
  { GET_INT, NULL, "neg", DISPATCH_JSON_REQUIRED, .imin = 1, .imax = G_MAXINT64,
    ERR ("neg must be at least 1", "neg") },
  { GET_INT, NULL, "int", DISPATCH_JSON_REQUIRED, .imin = G_MININT64, .imax = 0,
    ERR ("int must be at most 0", "int") },
  { GET_INT, NULL, "big", DISPATCH_JSON_REQUIRED, .imin = 1, .imax = G_MAXINT64,
    ERR ("big must be within [1, 9223372036854775807]", "big") },
  { GET_INT, NULL, "nbig", DISPATCH_JSON_REQUIRED, ANY_INT,
    ERR ("nbig must be at least -9223372036854775808", "nbig") },

  /* Booleans */
  { GET_BOOLEAN, NULL, "flag", DISPATCH_JSON_REQUIRED, OK ("true") },
  { GET_BOOLEAN, NULL, "int", DISPATCH_JSON_REQUIRED, ERR ("int must be true or false", "int") },
  { GET_BOOLEAN, NULL, "name", DISPATCH_JSON_REQUIRED,
    ERR ("name must be true or false", "name") },

  /* Enums */
  { GET_ENUM, NULL, "vehicle", DISPATCH_JSON_REQUIRED, OK ("car") },
  { GET_ENUM, NULL, "name", DISPATCH_JSON_REQUIRED,
    ERR ("name must be one of bike, scooter, car, van", "name") },
  { GET_ENUM, "driver", "int", DISPATCH_JSON_REQUIRED,
    ERR ("driver.int must be one of bike, scooter, car, van", "driver.int") },
  { GET_ENUM, NULL, "nul", DISPATCH_JSON_OPTIONAL,
    ERR ("nul must be one of bike, scooter, car, van", "nul") },

  /* Objects and arrays */
  { GET_OBJECT, NULL, "obj", DISPATCH_JSON_REQUIRED, OK ("{1}") },
  { GET_OBJECT, NULL, "arr", DISPATCH_JSON_REQUIRED, ERR ("arr must be an object", "arr") },
  { GET_ARRAY, NULL, "arr", DISPATCH_JSON_REQUIRED, .max_length = 3, OK ("[3]") },
  { GET_ARRAY, NULL, "arr", DISPATCH_JSON_REQUIRED, OK ("[3]") },
  { GET_ARRAY, NULL, "arr", DISPATCH_JSON_REQUIRED, .max_length = 2,
    ERR ("arr must have at most 2 elements", "arr") },
  { GET_ARRAY, NULL, "earr", DISPATCH_JSON_REQUIRED, OK ("[0]") },
  { GET_ARRAY, NULL, "earr", DISPATCH_JSON_NON_EMPTY, ERR ("earr must not be empty", "earr") },
  { GET_ARRAY, NULL, "obj", DISPATCH_JSON_REQUIRED, ERR ("obj must be an array", "obj") },

  /* Timestamps */
  { GET_TIMESTAMP, NULL, "ts", DISPATCH_JSON_REQUIRED, OK ("1795341600000000") },
  { GET_TIMESTAMP, NULL, "tsbad", DISPATCH_JSON_REQUIRED,
    ERR ("tsbad must be an RFC 3339 timestamp such as 2026-11-22T10:00:00Z", "tsbad") },
  { GET_TIMESTAMP, NULL, "int", DISPATCH_JSON_REQUIRED,
    ERR ("int must be an RFC 3339 timestamp such as 2026-11-22T10:00:00Z", "int") },
};

/* Calls the case's getter; on success describes what it stored. */
static char *
run_getter (JsonObject        *object,
            const GetterCase  *c,
            GError           **error)
{
  const char *string = UNTOUCHED;
  double number = NAN;
  gint64 integer = G_MININT64;
  gboolean boolean = 42;
  JsonObject *child = NULL;
  JsonArray *array = NULL;
  gboolean ok = FALSE;

  switch (c->getter)
    {
    case GET_STRING:
      ok = dispatch_json_get_string (object, c->prefix, c->member, c->flags, c->max_length,
                                     &string, error);
      return ok ? g_strdup (string) : NULL;
    case GET_DOUBLE:
      ok = dispatch_json_get_double (object, c->prefix, c->member, c->flags, c->min, c->max,
                                     &number, error);
      return !ok ? NULL : isnan (number) ? g_strdup (UNTOUCHED) : g_strdup_printf ("%g", number);
    case GET_INT:
      ok = dispatch_json_get_int (object, c->prefix, c->member, c->flags, c->imin, c->imax,
                                  &integer, error);
      if (!ok)
        return NULL;
      if (integer == G_MININT64)
        return g_strdup (UNTOUCHED);
      return g_strdup_printf ("%" G_GINT64_FORMAT, integer);
    case GET_TIMESTAMP:
      ok = dispatch_json_get_timestamp (object, c->prefix, c->member, c->flags, &integer, error);
      if (!ok)
        return NULL;
      if (integer == G_MININT64)
        return g_strdup (UNTOUCHED);
      return g_strdup_printf ("%" G_GINT64_FORMAT, integer);
    case GET_BOOLEAN:
      ok = dispatch_json_get_boolean (object, c->prefix, c->member, c->flags, &boolean, error);
      if (!ok)
        return NULL;
      return g_strdup (boolean == 42 ? UNTOUCHED : boolean ? "true" : "false");
    case GET_ENUM:
      ok = dispatch_json_get_enum (object, c->prefix, c->member, c->flags, vehicles,
                                   &string, error);
      return ok ? g_strdup (string) : NULL;
    case GET_OBJECT:
      ok = dispatch_json_get_object (object, c->prefix, c->member, c->flags, &child, error);
      if (!ok)
        return NULL;
      if (child == NULL)
        return g_strdup (UNTOUCHED);
      return g_strdup_printf ("{%u}", json_object_get_size (child));
    case GET_ARRAY:
      ok = dispatch_json_get_array (object, c->prefix, c->member, c->flags, c->max_length,
                                    &array, error);
      if (!ok)
        return NULL;
      if (array == NULL)
        return g_strdup (UNTOUCHED);
      return g_strdup_printf ("[%u]", json_array_get_length (array));
    default:
      g_assert_not_reached ();
    }
}

static void
test_getters (void)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) parse_error = NULL;

  object = dispatch_json_parse_object (document, -1, &parse_error);
  g_assert_no_error (parse_error);

  for (guint i = 0; i < G_N_ELEMENTS (getter_cases); i++)
    {
      const GetterCase *c = &getter_cases[i];
      g_autoptr(GError) error = NULL;
      g_autofree char *result = NULL;

      g_test_message ("case %u: %s", i, c->member);
      result = run_getter (object, c, &error);
      if (c->field == NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (result, ==, c->result);
        }
      else
        {
          g_assert_null (result);
          g_assert_error (error, DISPATCH_ERROR, DISPATCH_ERROR_INVALID_ARGUMENT);
          g_assert_cmpstr (error->message, ==, c->result);
          g_assert_cmpstr (dispatch_error_get_field (error), ==, c->field);
        }
    }
}

/* Objects built in code rather than parsed can hold what the parser refuses. */
static void
test_getters_built (void)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(GError) error = NULL;
  double number = 0;
  gint64 integer = 0;

  json_object_set_double_member (object, "inf", INFINITY);
  json_object_set_double_member (object, "nan", NAN);

  g_assert_false (dispatch_json_get_double (object, NULL, "inf", DISPATCH_JSON_REQUIRED,
                                            -G_MAXDOUBLE, G_MAXDOUBLE, &number, &error));
  g_assert_cmpstr (error->message, ==, "inf must be a finite number");
  g_clear_error (&error);

  g_assert_false (dispatch_json_get_double (object, NULL, "nan", DISPATCH_JSON_REQUIRED,
                                            -G_MAXDOUBLE, G_MAXDOUBLE, &number, &error));
  g_assert_cmpstr (error->message, ==, "nan must be a finite number");
  g_clear_error (&error);

  g_assert_false (dispatch_json_get_int (object, NULL, "inf", DISPATCH_JSON_REQUIRED,
                                         G_MININT64, G_MAXINT64, &integer, &error));
  g_assert_cmpstr (error->message, ==, "inf must be an integer");
  g_assert_cmpfloat (number, ==, 0);
  g_assert_cmpint (integer, ==, 0);
}

static void
test_int_limits (void)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(GError) error = NULL;
  gint64 value = 0;

  /* -2^63 is a double that converts exactly; 2^63 is one past the end. */
  json_object_set_double_member (object, "low", -0x1p63);
  json_object_set_double_member (object, "high", 0x1p63);

  g_assert_true (dispatch_json_get_int (object, NULL, "low", DISPATCH_JSON_REQUIRED,
                                        G_MININT64, G_MAXINT64, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, G_MININT64);

  g_assert_false (dispatch_json_get_int (object, NULL, "high", DISPATCH_JSON_REQUIRED,
                                         G_MININT64, G_MAXINT64, &value, &error));
  g_assert_cmpstr (error->message, ==, "high must be at most 9223372036854775807");
}

/* Timestamps */

static const struct {
  const char *text;
  gint64 usec;
} timestamps_valid[] = {
  { "1970-01-01T00:00:00Z", 0 },
  { "2026-11-22T10:00:00Z", TS_2026_11_22 },
  { "2026-11-22t10:00:00z", TS_2026_11_22 },
  { "2026-11-22T11:00:00+01:00", TS_2026_11_22 },
  { "2026-11-22T04:30:00-05:30", TS_2026_11_22 },
  { "2026-11-22T10:00:00-00:00", TS_2026_11_22 },
  { "2026-11-22T10:00:00.5Z", TS_2026_11_22 + 500000 },
  { "2026-11-22T10:00:00.000001Z", TS_2026_11_22 + 1 },
  { "2026-11-22T10:00:00.123456789Z", TS_2026_11_22 + 123456 },
  { "1969-12-31T23:59:59.5Z", -500000 },
  { "2024-02-29T00:00:00Z", G_GINT64_CONSTANT (1709164800000000) },
  { "2016-12-31T23:59:60Z", G_GINT64_CONSTANT (1483228800000000) - 1 },
  { "0001-01-01T00:00:00Z", TS_MIN },
  { "9999-12-31T23:59:59.999999Z", TS_MAX },
};

static const char * const timestamps_invalid[] = {
  "",
  "2026-11-22T10:00:00",
  "2026-11-22 10:00:00Z",
  "2026-11-22T10:00Z",
  "20261122T100000Z",
  "2026-W47-7T10:00:00Z",
  "2026-326T10:00:00Z",
  "2026-11-22",
  " 2026-11-22T10:00:00Z",
  "2026-11-22T10:00:00Z ",
  "2026-11-22T10:00:00Zjunk",
  "2026-1-22T10:00:00Z",
  "+2026-11-22T10:00:00Z",
  "2026-02-29T00:00:00Z",
  "2026-13-01T00:00:00Z",
  "2026-00-10T00:00:00Z",
  "2026-11-00T00:00:00Z",
  "2026-11-31T00:00:00Z",
  "2026-11-22T24:00:00Z",
  "2026-11-22T10:60:00Z",
  "2026-11-22T10:00:61Z",
  "2026-11-22T10:00:00.Z",
  "2026-11-22T10:00:00+24:00",
  "2026-11-22T10:00:00+01:60",
  "2026-11-22T10:00:00+0100",
  "2026-11-22T10:00:00+01",
  "0000-01-01T00:00:00Z",
  "0001-01-01T00:00:00+00:01",
  "9999-12-31T23:59:59-00:01",
};

static void
test_timestamp_parse (void)
{
  gint64 usec;

  for (guint i = 0; i < G_N_ELEMENTS (timestamps_valid); i++)
    {
      g_test_message ("valid %s", timestamps_valid[i].text);
      usec = 0;
      g_assert_true (dispatch_parse_timestamp (timestamps_valid[i].text, &usec));
      g_assert_cmpint (usec, ==, timestamps_valid[i].usec);
    }

  for (guint i = 0; i < G_N_ELEMENTS (timestamps_invalid); i++)
    {
      g_test_message ("invalid %s", timestamps_invalid[i]);
      usec = 7;
      g_assert_false (dispatch_parse_timestamp (timestamps_invalid[i], &usec));
      g_assert_cmpint (usec, ==, 7);
    }

  g_assert_false (dispatch_parse_timestamp (NULL, &usec));
}

static void
test_timestamp_format (void)
{
  static const struct {
    gint64 usec;
    const char *text;
  } cases[] = {
    { 0, "1970-01-01T00:00:00.000000Z" },
    { -1, "1969-12-31T23:59:59.999999Z" },
    { TS_2026_11_22 + 123456, "2026-11-22T10:00:00.123456Z" },
    { G_GINT64_CONSTANT (1709251199999999), "2024-02-29T23:59:59.999999Z" },
    { TS_MIN, "0001-01-01T00:00:00.000000Z" },
    { TS_MAX, "9999-12-31T23:59:59.999999Z" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = dispatch_format_timestamp (cases[i].usec);
      gint64 back = 0;

      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_true (dispatch_parse_timestamp (text, &back));
      g_assert_cmpint (back, ==, cases[i].usec);
    }
}

static void
test_timestamp_format_out_of_range (void)
{
  char *text;

  g_test_expect_message ("DispatchShared", G_LOG_LEVEL_CRITICAL,
                         "*dispatch_format_timestamp*in_range*");
  text = dispatch_format_timestamp (TS_MAX + 1);
  g_test_assert_expected_messages ();
  g_assert_null (text);

  g_test_expect_message ("DispatchShared", G_LOG_LEVEL_CRITICAL,
                         "*dispatch_format_timestamp*in_range*");
  text = dispatch_format_timestamp (TS_MIN - 1);
  g_test_assert_expected_messages ();
  g_assert_null (text);
}

/* Paths and output */

static void
test_paths (void)
{
  static const struct {
    const char *prefix;
    const char *member;
    const char *path;
  } cases[] = {
    { NULL, "lat", "lat" },
    { "", "lat", "lat" },
    { "pickup", "lat", "pickup.lat" },
    { "items[2]", "quantity", "items[2].quantity" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = dispatch_json_path (cases[i].prefix, cases[i].member);

      g_assert_cmpstr (path, ==, cases[i].path);
    }

  {
    g_autofree char *items = dispatch_json_index_path ("items", 2);
    g_autofree char *nested = dispatch_json_index_path ("a.b[1]", 0);

    g_assert_cmpstr (items, ==, "items[2]");
    g_assert_cmpstr (nested, ==, "a.b[1][0]");
  }
}

static void
test_to_string (void)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "a");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "b");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "x\"y");
  json_builder_add_null_value (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  text = dispatch_json_to_string (root, &length);
  g_assert_cmpstr (text, ==, "{\"a\":1,\"b\":[\"x\\\"y\",null]}");
  g_assert_cmpuint (length, ==, strlen (text));
}

/* As PostgreSQL prints jsonb: spaces go, except inside strings (escaped
 * quotes and backslashes included). */
static void
test_compact (void)
{
  static const char text[] =
    "{\"a\": 1, \"b\": [\"x \\\" , y\", null,\n\t2], \"c\\\\\": {\"d\": \" : \"}}";
  static const char expected[] = "{\"a\":1,\"b\":[\"x \\\" , y\",null,2],\"c\\\\\":{\"d\":\" : \"}}";
  g_autoptr(GBytes) compact = dispatch_json_compact (text, strlen (text));
  gsize length;
  const char *data = g_bytes_get_data (compact, &length);

  g_assert_cmpmem (data, length, expected, strlen (expected));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/json/parse/reject", test_parse_reject);
  g_test_add_func ("/json/parse/depth", test_parse_depth);
  g_test_add_func ("/json/parse/accept", test_parse_accept);
  g_test_add_func ("/json/parse/length", test_parse_length);
  g_test_add_func ("/json/parse/as-json-glib", test_parse_as_json_glib);
  g_test_add_func ("/json/get/table", test_getters);
  g_test_add_func ("/json/get/built", test_getters_built);
  g_test_add_func ("/json/get/int-limits", test_int_limits);
  g_test_add_func ("/json/timestamp/parse", test_timestamp_parse);
  g_test_add_func ("/json/timestamp/format", test_timestamp_format);
  g_test_add_func ("/json/timestamp/format-out-of-range", test_timestamp_format_out_of_range);
  g_test_add_func ("/json/path", test_paths);
  g_test_add_func ("/json/to-string", test_to_string);
  g_test_add_func ("/json/compact", test_compact);

  return g_test_run ();
}
