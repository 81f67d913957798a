/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <string.h>

#include "dispatch-json.h"
#include "dispatch-json-writer.h"
#include "dispatch-json-scanner.h"

typedef enum {
  KIND_ANY,         /* no type check: the caller does its own */
  KIND_STRING,
  KIND_NUMBER,
  KIND_INTEGER,
  KIND_BOOLEAN,
  KIND_OBJECT,
  KIND_ARRAY,
  KIND_TIMESTAMP,
} MemberKind;

/* What a value of each kind "must be", in messages to API clients. */
static const char * const kind_descriptions[] = {
  [KIND_STRING] = "a string",
  [KIND_NUMBER] = "a number",
  [KIND_INTEGER] = "an integer",
  [KIND_BOOLEAN] = "true or false",
  [KIND_OBJECT] = "an object",
  [KIND_ARRAY] = "an array",
  [KIND_TIMESTAMP] = "an RFC 3339 timestamp such as 2026-11-22T10:00:00Z",
};

/* What reading a value builds: the tree of json-glib nodes, as JsonParser
 * would (member order, duplicate members replaced, integers that fit a gint64
 * as such, other numbers as doubles), from the scanner's tokens. */
typedef struct {
  GString  *text;         /* the token being converted, NUL-terminated */
  gboolean  non_finite;   /* a number overflowed to ±infinity */
} Builder;

/* The four hex digits of the \u escape at p (already checked). */
static gunichar
hex4 (const char *p)
{
  gunichar unit = 0;

  for (guint i = 2; i < 6; i++)
    unit = (unit << 4) | (gunichar) g_ascii_xdigit_value (p[i]);
  return unit;
}

/* A string's raw text (escapes checked by the scanner) into builder->text. */
static void
unescape (Builder    *builder,
          const char *start,
          gsize       length)
{
  const char *p = start;
  const char *end = start + length;

  g_string_truncate (builder->text, 0);
  while (p < end)
    {
      const char *backslash = memchr (p, '\\', end - p);
      gunichar unit;

      if (backslash == NULL)
        {
          g_string_append_len (builder->text, p, end - p);
          break;
        }
      g_string_append_len (builder->text, p, backslash - p);
      p = backslash;
      switch (p[1])
        {
        case 'u':
          unit = hex4 (p);
          p += 6;
          if (unit >= 0xD800 && unit <= 0xDBFF)
            {
              unit = 0x10000 + ((unit - 0xD800) << 10) + (hex4 (p) - 0xDC00);
              p += 6;
            }
          g_string_append_unichar (builder->text, unit);
          continue;
        case 'b':
          g_string_append_c (builder->text, '\b');
          break;
        case 'f':
          g_string_append_c (builder->text, '\f');
          break;
        case 'n':
          g_string_append_c (builder->text, '\n');
          break;
        case 'r':
          g_string_append_c (builder->text, '\r');
          break;
        case 't':
          g_string_append_c (builder->text, '\t');
          break;
        default:   /* '"', '\\', '/' */
          g_string_append_c (builder->text, p[1]);
          break;
        }
      p += 2;
    }
}

static gboolean scan_value (DispatchJsonScanner  *scanner,
                            guint                 depth,
                            Builder              *builder,
                            JsonNode            **node);

/* An object or an array, from its opening bracket on, into *node. */
static gboolean
scan_container (DispatchJsonScanner  *scanner,
                guint                 depth,
                Builder              *builder,
                JsonNode            **node)
{
  gboolean is_object = *scanner->pos == '{';
  char close = is_object ? '}' : ']';
  JsonObject *object = NULL;
  JsonArray *array = NULL;

  if (is_object)
    {
      object = json_object_new ();
      *node = json_node_init_object (json_node_alloc (), object);
      json_object_unref (object);
    }
  else
    {
      array = json_array_new ();
      *node = json_node_init_array (json_node_alloc (), array);
      json_array_unref (array);
    }

  scanner->pos++;
  if (dispatch_json_scanner_accept (scanner, close))
    return TRUE;

  do
    {
      g_autofree char *name = NULL;
      const char *start;
      gsize length;
      JsonNode *child = NULL;

      if (is_object &&
          (!dispatch_json_scanner_string (scanner, &start, &length) ||
           !dispatch_json_scanner_expect (scanner, ':', "expected ':'")))
        return FALSE;
      if (is_object)
        {
          unescape (builder, start, length);
          name = g_strndup (builder->text->str, builder->text->len);
        }
      if (!scan_value (scanner, depth, builder, &child))
        {
          g_clear_pointer (&child, json_node_unref);
          return FALSE;
        }
      if (is_object)
        json_object_set_member (object, name, child);
      else
        json_array_add_element (array, child);
    }
  while (dispatch_json_scanner_accept (scanner, ','));

  return dispatch_json_scanner_expect (scanner, close,
                                       is_object ? "expected ',' or '}'" : "expected ',' or ']'");
}

static JsonNode *
build_string (Builder    *builder,
              const char *start,
              gsize       length)
{
  unescape (builder, start, length);
  return json_node_init_string (json_node_alloc (), builder->text->str);
}

static JsonNode *
build_number (Builder    *builder,
              const char *start,
              gsize       length,
              gboolean    integral)
{
  double value;

  g_string_truncate (builder->text, 0);
  g_string_append_len (builder->text, start, length);
  if (integral)
    return json_node_init_int (json_node_alloc (), g_ascii_strtoll (builder->text->str, NULL,
                                                                    10));
  value = g_ascii_strtod (builder->text->str, NULL);
  builder->non_finite |= !isfinite (value);
  return json_node_init_double (json_node_alloc (), value);
}

/* "true", "false" or "null". */
static gboolean
scan_literal (DispatchJsonScanner  *scanner,
              const char           *literal,
              Builder              *builder,
              JsonNode            **node)
{
  if (!dispatch_json_scanner_literal (scanner, literal))
    return FALSE;
  if (literal[0] == 'n')
    *node = json_node_init_null (json_node_alloc ());
  else
    *node = json_node_init_boolean (json_node_alloc (), literal[0] == 't');
  return TRUE;
}

static gboolean
scan_value (DispatchJsonScanner  *scanner,
            guint                 depth,
            Builder              *builder,
            JsonNode            **node)
{
  const char *start;
  gsize length;
  gboolean integral;

  dispatch_json_scanner_skip_space (scanner);
  if (scanner->pos == scanner->end)
    return dispatch_json_scanner_fail (scanner, scanner->pos, "expected a value");

  switch (*scanner->pos)
    {
    case '{':
    case '[':
      if (depth == DISPATCH_JSON_MAX_DEPTH)
        return dispatch_json_scanner_fail (scanner, scanner->pos, "nested too deeply");
      return scan_container (scanner, depth + 1, builder, node);
    case '"':
      if (!dispatch_json_scanner_string (scanner, &start, &length))
        return FALSE;
      *node = build_string (builder, start, length);
      return TRUE;
    case 't':
      return scan_literal (scanner, "true", builder, node);
    case 'f':
      return scan_literal (scanner, "false", builder, node);
    case 'n':
      return scan_literal (scanner, "null", builder, node);
    default:
      if (*scanner->pos != '-' && !g_ascii_isdigit (*scanner->pos))
        return dispatch_json_scanner_fail (scanner, scanner->pos, "expected a value");
      if (!dispatch_json_scanner_number (scanner, &start, &length, &integral))
        return FALSE;
      *node = build_number (builder, start, length, integral);
      return TRUE;
    }
}

/* Reads the text strictly (RFC 8259; no \u0000 in strings, integers within a
 * gint64, at most DISPATCH_JSON_MAX_DEPTH levels; json-glib's own parser is
 * lenient about all of these and more) into *root (NULL on error). */
static gboolean
read_text (const char  *data,
           gsize        length,
           Builder     *builder,
           JsonNode   **root,
           GError     **error)
{
  DispatchJsonScanner scanner;
  guint line = 1;
  const char *line_start = data;

  dispatch_json_scanner_init (&scanner, data, length);
  if (scan_value (&scanner, 0, builder, root))
    {
      dispatch_json_scanner_skip_space (&scanner);
      if (scanner.pos == scanner.end)
        return TRUE;
      dispatch_json_scanner_fail (&scanner, scanner.pos, "unexpected text after the value");
    }
  g_clear_pointer (root, json_node_unref);

  for (const char *p = data; p < scanner.pos; p++)
    {
      if (*p == '\n')
        {
          line++;
          line_start = p + 1;
        }
    }

  dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, NULL,
                            "malformed JSON at line %u, column %ld: %s",
                            line,
                            g_utf8_pointer_to_offset (line_start, scanner.pos) + 1,
                            scanner.problem);
  return FALSE;
}

/* A number such as 1e999 reads as infinity: find such numbers, with their path. */
static gboolean
check_finite (JsonNode  *node,
              GString   *path,
              GError   **error)
{
  gsize path_len = path->len;

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *child;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, &name, &child))
          {
            if (path->len > 0)
              g_string_append_c (path, '.');
            g_string_append (path, name);
            if (!check_finite (child, path, error))
              return FALSE;
            g_string_truncate (path, path_len);
          }
        return TRUE;
      }

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        for (guint i = 0; i < n; i++)
          {
            g_string_append_printf (path, "[%u]", i);
            if (!check_finite (json_array_get_element (array, i), path, error))
              return FALSE;
            g_string_truncate (path, path_len);
          }
        return TRUE;
      }

    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_DOUBLE &&
          !isfinite (json_node_get_double (node)))
        {
          dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, path->str,
                                    "%s must be a finite number", path->str);
          return FALSE;
        }
      return TRUE;

    case JSON_NODE_NULL:
    default:
      return TRUE;
    }
}

static void
set_member_error (GError     **error,
                  const char  *prefix,
                  const char  *member,
                  const char  *format,
                  ...) G_GNUC_PRINTF (4, 5);

static void
set_member_error (GError     **error,
                  const char  *prefix,
                  const char  *member,
                  const char  *format,
                  ...)
{
  g_autofree char *path = dispatch_json_path (prefix, member);
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, path,
                            "%s %s", path, detail);
}

static gboolean
node_is_number (JsonNode *node)
{
  GType type;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  return type == G_TYPE_INT64 || type == G_TYPE_DOUBLE;
}

static gboolean
node_has_kind (JsonNode   *node,
               MemberKind  kind)
{
  switch (kind)
    {
    case KIND_ANY:
      return TRUE;
    case KIND_STRING:
    case KIND_TIMESTAMP:
      return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
    case KIND_NUMBER:
    case KIND_INTEGER:
      return node_is_number (node);
    case KIND_BOOLEAN:
      return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN;
    case KIND_OBJECT:
      return JSON_NODE_HOLDS_OBJECT (node);
    case KIND_ARRAY:
      return JSON_NODE_HOLDS_ARRAY (node);
    default:
      g_assert_not_reached ();
    }
}

/* The part every getter shares: FALSE with @error set when a required member
 * is missing or the value is not of @kind; TRUE with *node = NULL when the
 * member may be (and is) absent. */
static gboolean
lookup_member (JsonObject         *object,
               const char         *prefix,
               const char         *member,
               DispatchJsonFlags   flags,
               MemberKind          kind,
               JsonNode          **node,
               GError            **error)
{
  JsonNode *found = json_object_get_member (object, member);

  *node = NULL;

  if (found != NULL && JSON_NODE_HOLDS_NULL (found) && (flags & DISPATCH_JSON_NULLABLE))
    found = NULL;

  if (found == NULL)
    {
      if (flags & DISPATCH_JSON_REQUIRED)
        {
          set_member_error (error, prefix, member, "is required");
          return FALSE;
        }
      return TRUE;
    }

  if (!node_has_kind (found, kind))
    {
      set_member_error (error, prefix, member, "must be %s", kind_descriptions[kind]);
      return FALSE;
    }

  *node = found;
  return TRUE;
}

/* "must be within [a, b]", "at least a", "at most b", "less than b";
 * NULL for an unbounded side. */
static void
set_range_error (GError     **error,
                 const char  *prefix,
                 const char  *member,
                 const char  *min_text,
                 const char  *max_text,
                 gboolean     exclusive_max)
{
  if (min_text != NULL && max_text != NULL)
    set_member_error (error, prefix, member, "must be within [%s, %s%c",
                      min_text, max_text, exclusive_max ? ')' : ']');
  else if (min_text != NULL)
    set_member_error (error, prefix, member, "must be at least %s", min_text);
  else
    set_member_error (error, prefix, member, "must be %s %s",
                      exclusive_max ? "less than" : "at most", max_text);
}

/**
 * dispatch_json_parse_object:
 * @data: JSON text
 * @length: length of @data in bytes, or -1 if it is NUL-terminated
 * @error: return location for a #GError
 *
 * Parses @data strictly; errors about the text as a whole have no field,
 * non-finite numbers carry their path.
 *
 * Returns: (transfer full) (nullable): the root object, or %NULL on error
 */
JsonObject *
dispatch_json_parse_object (const char  *data,
                            gssize       length,
                            GError     **error)
{
  Builder builder = { NULL, FALSE };
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GString) path = NULL;
  gboolean ok;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length < 0)
    length = strlen (data);

  if (!g_utf8_validate_len (data, length, NULL))
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, NULL,
                                "JSON text is not valid UTF-8");
      return NULL;
    }

  builder.text = g_string_sized_new (64);
  ok = read_text (data, length, &builder, &root, error);
  g_string_free (builder.text, TRUE);
  if (!ok)
    return NULL;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      dispatch_set_field_error (error, DISPATCH_ERROR_INVALID_ARGUMENT, NULL,
                                "JSON text must be an object");
      return NULL;
    }

  /* found again, with its path */
  if (builder.non_finite)
    {
      path = g_string_new (NULL);
      if (!check_finite (root, path, error))
        return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

/**
 * dispatch_json_get_string:
 * @object: the containing object
 * @prefix: (nullable): path of @object, for messages
 * @member: member name
 * @flags: presence flags; %DISPATCH_JSON_NON_EMPTY rejects ""
 * @max_length: maximum length in characters, 0 for no limit
 * @out: (out) (transfer none): the string, owned by @object
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the member is absent-and-optional or a valid string
 */
gboolean
dispatch_json_get_string (JsonObject         *object,
                          const char         *prefix,
                          const char         *member,
                          DispatchJsonFlags   flags,
                          gsize               max_length,
                          const char        **out,
                          GError            **error)
{
  JsonNode *node;
  const char *value;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (member != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!lookup_member (object, prefix, member, flags, KIND_STRING, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  value = json_node_get_string (node);
  if ((flags & DISPATCH_JSON_NON_EMPTY) && value[0] == '\0')
    {
      set_member_error (error, prefix, member, "must not be empty");
      return FALSE;
    }
  if (max_length > 0 && (gsize) g_utf8_strlen (value, -1) > max_length)
    {
      set_member_error (error, prefix, member, "must be at most %" G_GSIZE_FORMAT " characters",
                        max_length);
      return FALSE;
    }

  *out = value;
  return TRUE;
}

/**
 * dispatch_json_get_double:
 * @object: the containing object
 * @prefix: (nullable): path of @object, for messages
 * @member: member name
 * @flags: presence flags; %DISPATCH_JSON_EXCLUSIVE_MAX makes the range [min, max)
 * @min: smallest allowed value (-%G_MAXDOUBLE or -%INFINITY for none)
 * @max: largest allowed value (%G_MAXDOUBLE or %INFINITY for none)
 * @out: (out): the value
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the member is absent-and-optional or a finite number in range
 */
gboolean
dispatch_json_get_double (JsonObject         *object,
                          const char         *prefix,
                          const char         *member,
                          DispatchJsonFlags   flags,
                          double              min,
                          double              max,
                          double             *out,
                          GError            **error)
{
  gboolean exclusive_max = (flags & DISPATCH_JSON_EXCLUSIVE_MAX) != 0;
  JsonNode *node;
  double value;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (member != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!lookup_member (object, prefix, member, flags, KIND_NUMBER, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  /* Integers convert too. */
  value = json_node_get_double (node);
  if (!isfinite (value))
    {
      set_member_error (error, prefix, member, "must be a finite number");
      return FALSE;
    }

  if (value < min || value > max || (exclusive_max && value == max))
    {
      char min_text[G_ASCII_DTOSTR_BUF_SIZE];
      char max_text[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_formatd (min_text, sizeof min_text, "%.15g", min);
      g_ascii_formatd (max_text, sizeof max_text, "%.15g", max);
      set_range_error (error, prefix, member,
                       min > -G_MAXDOUBLE ? min_text : NULL,
                       max < G_MAXDOUBLE ? max_text : NULL,
                       exclusive_max);
      return FALSE;
    }

  *out = value;
  return TRUE;
}

/**
 * dispatch_json_get_int:
 * @object: the containing object
 * @prefix: (nullable): path of @object, for messages
 * @member: member name
 * @flags: presence flags
 * @min: smallest allowed value (%G_MININT64 for none)
 * @max: largest allowed value (%G_MAXINT64 for none)
 * @out: (out): the value
 * @error: return location for a #GError
 *
 * Accepts JSON integers and numbers with an exactly integral value such as
 * `3.0` or `1e2`; rejects `1.5`.
 *
 * Returns: %TRUE if the member is absent-and-optional or an integer in range
 */
gboolean
dispatch_json_get_int (JsonObject         *object,
                       const char         *prefix,
                       const char         *member,
                       DispatchJsonFlags   flags,
                       gint64              min,
                       gint64              max,
                       gint64             *out,
                       GError            **error)
{
  JsonNode *node;
  int beyond_int64 = 0;
  gint64 value = 0;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (member != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!lookup_member (object, prefix, member, flags, KIND_INTEGER, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      value = json_node_get_int (node);
    }
  else
    {
      double d = json_node_get_double (node);

      if (!isfinite (d) || d != trunc (d))
        {
          set_member_error (error, prefix, member, "must be an integer");
          return FALSE;
        }
      /* [-2^63, 2^63) converts to gint64 exactly. */
      if (d < -0x1p63)
        beyond_int64 = -1;
      else if (d >= 0x1p63)
        beyond_int64 = 1;
      else
        value = (gint64) d;
    }

  if (beyond_int64 != 0 || value < min || value > max)
    {
      char min_text[32];
      char max_text[32];

      /* An unbounded side is named only when the value lies beyond it. */
      g_snprintf (min_text, sizeof min_text, "%" G_GINT64_FORMAT, min);
      g_snprintf (max_text, sizeof max_text, "%" G_GINT64_FORMAT, max);
      set_range_error (error, prefix, member,
                       min != G_MININT64 || beyond_int64 < 0 ? min_text : NULL,
                       max != G_MAXINT64 || beyond_int64 > 0 ? max_text : NULL,
                       FALSE);
      return FALSE;
    }

  *out = value;
  return TRUE;
}

/**
 * dispatch_json_get_boolean:
 * @object: the containing object
 * @prefix: (nullable): path of @object, for messages
 * @member: member name
 * @flags: presence flags
 * @out: (out): the value
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the member is absent-and-optional or `true`/`false`
 */
gboolean
dispatch_json_get_boolean (JsonObject         *object,
                           const char         *prefix,
                           const char         *member,
                           DispatchJsonFlags   flags,
                           gboolean           *out,
                           GError            **error)
{
  JsonNode *node;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (member != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!lookup_member (object, prefix, member, flags, KIND_BOOLEAN, &node, error))
    return FALSE;
  if (node != NULL)
    *out = json_node_get_boolean (node);
  return TRUE;
}

/**
 * dispatch_json_get_enum:
 * @object: the containing object
 * @prefix: (nullable): path of @object, for messages
 * @member: member name
 * @flags: presence flags
 * @allowed: (array zero-terminated=1): the allowed values
 * @out: (out) (transfer none): the value, owned by @object
 * @error: return location for a #GError
 *
 * A wrong type or a value not in @allowed gets a message listing @allowed,
 * e.g. "vehicle must be one of bike, scooter, car, van".
 *
 * Returns: %TRUE if the member is absent-and-optional or one of @allowed
 */
gboolean
dispatch_json_get_enum (JsonObject          *object,
                        const char          *prefix,
                        const char          *member,
                        DispatchJsonFlags    flags,
                        const char * const  *allowed,
                        const char         **out,
                        GError             **error)
{
  g_autofree char *choices = NULL;
  JsonNode *node;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (member != NULL, FALSE);
  g_return_val_if_fail (allowed != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!lookup_member (object, prefix, member, flags, KIND_ANY, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  if (JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING &&
      g_strv_contains (allowed, json_node_get_string (node)))
    {
      *out = json_node_get_string (node);
      return TRUE;
    }

  choices = g_strjoinv (", ", (char **) allowed);
  set_member_error (error, prefix, member, "must be one of %s", choices);
  return FALSE;
}

/**
 * dispatch_json_get_object:
 * @object: the containing object
 * @prefix: (nullable): path of @object, for messages
 * @member: member name
 * @flags: presence flags
 * @out: (out) (transfer none): the object, owned by @object
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the member is absent-and-optional or an object
 */
gboolean
dispatch_json_get_object (JsonObject         *object,
                          const char         *prefix,
                          const char         *member,
                          DispatchJsonFlags   flags,
                          JsonObject        **out,
                          GError            **error)
{
  JsonNode *node;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (member != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!lookup_member (object, prefix, member, flags, KIND_OBJECT, &node, error))
    return FALSE;
  if (node != NULL)
    *out = json_node_get_object (node);
  return TRUE;
}

/**
 * dispatch_json_get_array:
 * @object: the containing object
 * @prefix: (nullable): path of @object, for messages
 * @member: member name
 * @flags: presence flags; %DISPATCH_JSON_NON_EMPTY rejects `[]`
 * @max_length: maximum number of elements, 0 for no limit
 * @out: (out) (transfer none): the array, owned by @object
 * @error: return location for a #GError
 *
 * Returns: %TRUE if the member is absent-and-optional or an array short enough
 */
gboolean
dispatch_json_get_array (JsonObject         *object,
                         const char         *prefix,
                         const char         *member,
                         DispatchJsonFlags   flags,
                         guint               max_length,
                         JsonArray         **out,
                         GError            **error)
{
  JsonNode *node;
  JsonArray *array;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (member != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!lookup_member (object, prefix, member, flags, KIND_ARRAY, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  array = json_node_get_array (node);
  if ((flags & DISPATCH_JSON_NON_EMPTY) && json_array_get_length (array) == 0)
    {
      set_member_error (error, prefix, member, "must not be empty");
      return FALSE;
    }
  if (max_length > 0 && json_array_get_length (array) > max_length)
    {
      set_member_error (error, prefix, member, "must have at most %u elements", max_length);
      return FALSE;
    }

  *out = array;
  return TRUE;
}

/**
 * dispatch_json_get_timestamp:
 * @object: the containing object
 * @prefix: (nullable): path of @object, for messages
 * @member: member name
 * @flags: presence flags
 * @out_usec: (out): microseconds since the Unix epoch
 * @error: return location for a #GError
 *
 * Accepts what dispatch_parse_timestamp() accepts.
 *
 * Returns: %TRUE if the member is absent-and-optional or a valid timestamp
 */
gboolean
dispatch_json_get_timestamp (JsonObject         *object,
                             const char         *prefix,
                             const char         *member,
                             DispatchJsonFlags   flags,
                             gint64             *out_usec,
                             GError            **error)
{
  JsonNode *node;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (member != NULL, FALSE);
  g_return_val_if_fail (out_usec != NULL, FALSE);

  if (!lookup_member (object, prefix, member, flags, KIND_TIMESTAMP, &node, error))
    return FALSE;
  if (node == NULL)
    return TRUE;

  if (!dispatch_parse_timestamp (json_node_get_string (node), out_usec))
    {
      set_member_error (error, prefix, member, "must be %s", kind_descriptions[KIND_TIMESTAMP]);
      return FALSE;
    }
  return TRUE;
}

/**
 * dispatch_json_path:
 * @prefix: (nullable): path of the containing object; %NULL or "" at the root
 * @member: member name
 *
 * Returns: (transfer full): "prefix.member", or "member" at the root
 */
char *
dispatch_json_path (const char *prefix,
                    const char *member)
{
  g_return_val_if_fail (member != NULL, NULL);

  if (prefix == NULL || prefix[0] == '\0')
    return g_strdup (member);
  return g_strconcat (prefix, ".", member, NULL);
}

/**
 * dispatch_json_index_path:
 * @prefix: (nullable): path of the array
 * @index: element index
 *
 * Returns: (transfer full): "prefix[index]"
 */
char *
dispatch_json_index_path (const char *prefix,
                          guint       index)
{
  return g_strdup_printf ("%s[%u]", prefix != NULL ? prefix : "", index);
}

/**
 * dispatch_format_timestamp:
 * @usec: microseconds since the Unix epoch, within years 1–9999
 *
 * Returns: (transfer full): RFC 3339 UTC text with six fractional digits,
 *   e.g. "2026-11-22T10:00:00.123456Z"
 */
char *
dispatch_format_timestamp (gint64 usec)
{
  gboolean in_range = usec >= DISPATCH_TIMESTAMP_MIN_US && usec <= DISPATCH_TIMESTAMP_MAX_US;
  GString *text;

  g_return_val_if_fail (in_range, NULL);

  text = g_string_sized_new (32);
  dispatch_json_append_timestamp (text, usec);
  return g_string_free (text, FALSE);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant,
 * "chrono-compatible low-level date algorithms"; the inverse is in
 * dispatch_json_append_timestamp()). */
static gint64
days_from_civil (gint64 year,
                 guint  month,
                 guint  day)
{
  gint64 era, year_of_era, day_of_year, day_of_era;

  year -= month <= 2;
  era = (year >= 0 ? year : year - 399) / 400;
  year_of_era = year - era * 400;
  day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

/* Reads exactly @n_digits decimal digits; FALSE if they are not all there. */
static gboolean
read_digits (const char **text,
             guint        n_digits,
             guint       *out)
{
  *out = 0;
  for (guint i = 0; i < n_digits; i++)
    {
      if (!g_ascii_isdigit ((*text)[i]))
        return FALSE;
      *out = *out * 10 + ((*text)[i] - '0');
    }
  *text += n_digits;
  return TRUE;
}

static gboolean
read_char (const char **text,
           const char  *choices)
{
  if (**text == '\0' || strchr (choices, **text) == NULL)
    return FALSE;
  (*text)++;
  return TRUE;
}

/**
 * dispatch_parse_timestamp:
 * @text: an RFC 3339 date-time
 * @out_usec: (out): microseconds since the Unix epoch
 *
 * Accepts exactly RFC 3339's `date-time`: "YYYY-MM-DDTHH:MM:SS[.frac]" and
 * "Z" or a "±HH:MM" offset ("T" and "Z" may be lower case). An offset is
 * required; ISO 8601's other forms (week dates, basic format, no seconds) are
 * rejected. Digits after the sixth fractional one are dropped; a leap second
 * (":60") counts as the last microsecond of its minute.
 *
 * Returns: %TRUE if @text is valid
 */
gboolean
dispatch_parse_timestamp (const char *text,
                          gint64     *out_usec)
{
  guint year, month, day, hour, minute, second;
  guint frac = 0;
  gint64 offset_s = 0;
  gint64 seconds;

  g_return_val_if_fail (out_usec != NULL, FALSE);

  if (text == NULL ||
      !read_digits (&text, 4, &year) || !read_char (&text, "-") ||
      !read_digits (&text, 2, &month) || !read_char (&text, "-") ||
      !read_digits (&text, 2, &day) || !read_char (&text, "Tt") ||
      !read_digits (&text, 2, &hour) || !read_char (&text, ":") ||
      !read_digits (&text, 2, &minute) || !read_char (&text, ":") ||
      !read_digits (&text, 2, &second))
    return FALSE;

  if (read_char (&text, "."))
    {
      guint n = 0;

      for (; g_ascii_isdigit (*text); text++, n++)
        {
          if (n < 6)
            frac = frac * 10 + (*text - '0');
        }
      if (n == 0)
        return FALSE;
      for (; n < 6; n++)
        frac *= 10;
    }

  if (!read_char (&text, "Zz"))
    {
      gboolean negative = *text == '-';
      guint offset_h, offset_m;

      if (!read_char (&text, "+-") ||
          !read_digits (&text, 2, &offset_h) || !read_char (&text, ":") ||
          !read_digits (&text, 2, &offset_m) ||
          offset_h > 23 || offset_m > 59)
        return FALSE;
      offset_s = (gint64) offset_h * 3600 + offset_m * 60;
      if (negative)
        offset_s = -offset_s;
    }

  if (*text != '\0')
    return FALSE;

  if (second == 60)
    {
      second = 59;
      frac = G_USEC_PER_SEC - 1;
    }

  /* The fields and the calendar, and years 1 to 9999 (also after the offset):
   * what GDateTime checks, without building one for every point received. */
  if (year < 1 || month < 1 || month > 12 || day < 1 ||
      day > (guint) g_date_get_days_in_month (month, year) ||
      hour > 23 || minute > 59 || second > 59)
    return FALSE;

  seconds = days_from_civil (year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
            offset_s;
  if (seconds < DISPATCH_TIMESTAMP_MIN_US / G_USEC_PER_SEC ||
      seconds > DISPATCH_TIMESTAMP_MAX_US / G_USEC_PER_SEC)
    return FALSE;

  *out_usec = seconds * G_USEC_PER_SEC + frac;
  return TRUE;
}

/**
 * dispatch_json_to_string:
 * @node: a JSON tree
 * @length: (out) (optional): length of the result in bytes
 *
 * Returns: (transfer full): compact JSON text
 */
char *
dispatch_json_to_string (JsonNode *node,
                         gsize    *length)
{
  g_autoptr(JsonGenerator) generator = NULL;

  g_return_val_if_fail (node != NULL, NULL);

  generator = json_generator_new ();
  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, length);
}

/**
 * dispatch_json_compact:
 * @text: valid JSON text
 * @length: its length in bytes
 *
 * Returns: (transfer full): @text without whitespace outside strings
 */
GBytes *
dispatch_json_compact (const char *text,
                       gsize       length)
{
  char *out = g_malloc (length + 1);
  gboolean in_string = FALSE;
  gsize n = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (in_string)
        {
          out[n++] = c;
          if (c == '\\' && i + 1 < length)
            out[n++] = text[++i];
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        {
          in_string = TRUE;
          out[n++] = c;
        }
      else if (c != ' ' && c != '\n' && c != '\t' && c != '\r')
        {
          out[n++] = c;
        }
    }

  out[n] = '\0';
  return g_bytes_new_take (g_realloc (out, n + 1), n);
}
