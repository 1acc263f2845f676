/* test-tensorio.c - .npy and TensorProto reading and writing.
 *
 * The reference for .npy is numpy itself: the byte strings below were
 * written by numpy 1.24's np.save, not by gnet.
 */
#include "gnet.h"
#include "onnx.pb-c.h"

#include <glib/gstdio.h>
#include <string.h>

/* np.save(np.arange(6, dtype='<f4').reshape(2, 3)) */
static const gchar NUMPY_F32[] =
    "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, "
    "'shape': (2, 3), }                                                    "
    "      \n"
    "\x00\x00\x00\x00\x00\x00\x80?\x00\x00\x00@\x00\x00@@\x00\x00\x80@"
    "\x00\x00\xa0@";

/* np.save(np.array([1, -2, 3], dtype='<i8')) */
static const gchar NUMPY_I64[] =
    "\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, "
    "'shape': (3,), }                                                      "
    "      \n"
    "\x01\x00\x00\x00\x00\x00\x00\x00\xfe\xff\xff\xff\xff\xff\xff\xff"
    "\x03\x00\x00\x00\x00\x00\x00\x00";

/* np.save(np.array([[True, False]])) */
static const gchar NUMPY_BOOL[] =
    "\x93NUMPY\x01\x00v\x00{'descr': '|b1', 'fortran_order': False, "
    "'shape': (1, 2), }                                                    "
    "      \n\x01\x00";

/* np.save(np.float32(2.5)): a 0-d array. */
static const gchar NUMPY_SCALAR[] =
    "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, "
    "'shape': (), }                                                        "
    "      \n\x00\x00 @";

static void
test_numpy_written (void)
{
  GnetTensor t = { 0 };
  GError *error = NULL;
  const gfloat *f;
  const gint64 *i;
  const guint8 *b;

  g_assert_true (gnet_tensor_load_bytes ((const guint8 *) NUMPY_F32,
          sizeof NUMPY_F32 - 1, "f32.npy", &t, &error));
  g_assert_no_error (error);
  g_assert_cmpint (t.dtype, ==, GNET_DTYPE_FLOAT32);
  g_assert_cmpuint (t.ndim, ==, 2);
  g_assert_cmpint (t.dims[0], ==, 2);
  g_assert_cmpint (t.dims[1], ==, 3);
  f = t.data;
  for (gint k = 0; k < 6; k++)
    g_assert_cmpfloat (f[k], ==, (gfloat) k);
  gnet_tensor_clear (&t);
  g_assert_null (t.data);

  g_assert_true (gnet_tensor_load_bytes ((const guint8 *) NUMPY_I64,
          sizeof NUMPY_I64 - 1, "i64.npy", &t, &error));
  g_assert_no_error (error);
  g_assert_cmpint (t.dtype, ==, GNET_DTYPE_INT64);
  g_assert_cmpuint (t.ndim, ==, 1);
  g_assert_cmpint (t.dims[0], ==, 3);
  i = t.data;
  g_assert_cmpint (i[0], ==, 1);
  g_assert_cmpint (i[1], ==, -2);
  g_assert_cmpint (i[2], ==, 3);
  gnet_tensor_clear (&t);

  g_assert_true (gnet_tensor_load_bytes ((const guint8 *) NUMPY_BOOL,
          sizeof NUMPY_BOOL - 1, "bool.npy", &t, &error));
  g_assert_no_error (error);
  g_assert_cmpint (t.dtype, ==, GNET_DTYPE_BOOL);
  g_assert_cmpuint (t.ndim, ==, 2);
  b = t.data;
  g_assert_cmpuint (b[0], ==, 1);
  g_assert_cmpuint (b[1], ==, 0);
  gnet_tensor_clear (&t);

  g_assert_true (gnet_tensor_load_bytes ((const guint8 *) NUMPY_SCALAR,
          sizeof NUMPY_SCALAR - 1, "scalar.npy", &t, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (t.ndim, ==, 0);
  g_assert_cmpint (gnet_tensor_numel (&t), ==, 1);
  g_assert_cmpfloat (*(gfloat *) t.data, ==, 2.5f);
  gnet_tensor_clear (&t);
}

/* Builds a .npy buffer from a header dict and raw data (version 1, 2 or
 * 3), so each test can corrupt exactly one thing. */
static GByteArray *
make_npy (guint8 version, const gchar * dict, const void *data, gsize size)
{
  GByteArray *a = g_byte_array_new ();
  guint32 len = strlen (dict);
  guint8 lenb[4] = { len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff,
    len >> 24
  };

  g_byte_array_append (a, (const guint8 *) "\x93NUMPY", 6);
  g_byte_array_append (a, &version, 1);
  g_byte_array_append (a, (const guint8 *) "\0", 1);
  g_byte_array_append (a, lenb, version == 1 ? 2 : 4);
  g_byte_array_append (a, (const guint8 *) dict, len);
  if (size)
    g_byte_array_append (a, data, size);
  return a;
}

static void
test_versions (void)
{
  const gfloat v[3] = { 1.5f, -2.0f, 3.25f };
  /* Version 3 allows UTF-8 headers; spacing variants numpy accepts too. */
  const gchar *dicts[] = {
    "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n",
    "{\"shape\":(3,),\"fortran_order\":False,\"descr\":\"<f4\"}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (3L,)}   \n",
  };

  for (guint8 version = 1; version <= 3; version++) {
    for (guint d = 0; d < G_N_ELEMENTS (dicts); d++) {
      GByteArray *a = make_npy (version, dicts[d], v, sizeof v);
      GnetTensor t = { 0 };
      GError *error = NULL;

      g_assert_true (gnet_tensor_load_bytes (a->data, a->len, "v.npy", &t,
              &error));
      g_assert_no_error (error);
      g_assert_cmpuint (t.ndim, ==, 1);
      g_assert_cmpint (t.dims[0], ==, 3);
      g_assert_cmpmem (t.data, sizeof v, v, sizeof v);
      gnet_tensor_clear (&t);
      g_byte_array_unref (a);
    }
  }
}

static gchar *
tmp_path (const gchar * dir, const gchar * file)
{
  return g_build_filename (dir, file, NULL);
}

static void
round_trip (const gchar * dir, GnetDType dtype, guint ndim, const gint64 * dims)
{
  GnetTensor t = { 0 }, back = { 0 };
  GError *error = NULL;
  gchar *path = tmp_path (dir, "rt.npy");
  gchar *contents;
  gsize size, nbytes;
  gint64 numel;
  GRand *rand = g_rand_new_with_seed (42);

  t.dtype = dtype;
  t.ndim = ndim;
  memcpy (t.dims, dims, ndim * sizeof dims[0]);
  numel = gnet_tensor_numel (&t);
  nbytes = numel * gnet_dtype_size (dtype);
  t.data = g_malloc (MAX (nbytes, 1));
  for (gint64 k = 0; k < numel; k++) {
    if (dtype == GNET_DTYPE_FLOAT32)
      ((gfloat *) t.data)[k] = g_rand_double_range (rand, -1e6, 1e6);
    else if (dtype == GNET_DTYPE_INT64)
      ((gint64 *) t.data)[k] = (gint64) g_rand_int (rand) << 31
          | g_rand_int (rand);
    else
      ((guint8 *) t.data)[k] = g_rand_boolean (rand);
  }

  g_assert_true (gnet_tensor_save_npy (&t, path, &error));
  g_assert_no_error (error);

  /* The preamble follows the format numpy reads: aligned, ends in '\n'. */
  g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
  g_assert_cmpuint ((size - nbytes) % 64, ==, 0);
  g_assert_cmpint (contents[size - nbytes - 1], ==, '\n');
  g_free (contents);

  g_assert_true (gnet_tensor_load_file (path, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpint (back.dtype, ==, dtype);
  g_assert_cmpuint (back.ndim, ==, ndim);
  g_assert_cmpmem (back.dims, ndim * sizeof dims[0], dims,
      ndim * sizeof dims[0]);
  g_assert_cmpmem (back.data, nbytes, t.data, nbytes);

  gnet_tensor_clear (&t);
  gnet_tensor_clear (&back);
  gnet_tensor_clear (NULL);
  g_rand_free (rand);
  g_unlink (path);
  g_free (path);
}

static void
test_round_trip (void)
{
  gchar *dir = g_dir_make_tmp ("gnet-tensorio-XXXXXX", NULL);
  const gint64 d4[] = { 2, 3, 5, 7 };
  const gint64 d1[] = { 9 };
  const gint64 d2[] = { 4, 3 };
  const gint64 d8[] = { 1, 2, 1, 2, 1, 2, 1, 3 };
  const gint64 dz[] = { 3, 0, 2 };

  g_assert_nonnull (dir);
  for (GnetDType dt = 0; dt < GNET_DTYPE_COUNT; dt++) {
    round_trip (dir, dt, 4, d4);
    round_trip (dir, dt, 1, d1);
    round_trip (dir, dt, 2, d2);
    round_trip (dir, dt, 8, d8);
    round_trip (dir, dt, 0, d1);
    round_trip (dir, dt, 3, dz);
  }
  g_rmdir (dir);
  g_free (dir);
}

/* Loads `a` and checks it fails with `code`, naming the file and `reason`. */
static void
expect_error (const guint8 * bytes, gsize size, gint code, const gchar * reason)
{
  GnetTensor t = { 0 };
  GError *error = NULL;

  g_assert_false (gnet_tensor_load_bytes (bytes, size, "bad.npy", &t, &error));
  g_assert_error (error, GNET_ERROR, code);
  g_assert_nonnull (strstr (error->message, "bad.npy"));
  if (reason != NULL && strstr (error->message, reason) == NULL)
    g_error ("'%s' does not mention '%s'", error->message, reason);
  g_assert_null (t.data);
  g_error_free (error);
}

static void
expect_npy_error (guint8 version, const gchar * dict, gsize data_size,
    gint code, const gchar * reason)
{
  guint8 *data = g_malloc0 (MAX (data_size, 1));
  GByteArray *a = make_npy (version, dict, data, data_size);

  expect_error (a->data, a->len, code, reason);
  g_byte_array_unref (a);
  g_free (data);
}

static void
test_npy_errors (void)
{
  GByteArray *a;

  /* Truncated magic/version/length and a header longer than the file. */
  expect_error ((const guint8 *) NUMPY_F32, 7, GNET_ERROR_PARSE, "truncated");
  expect_error ((const guint8 *) NUMPY_F32, 9, GNET_ERROR_PARSE, "truncated");
  expect_error ((const guint8 *) NUMPY_F32, 60, GNET_ERROR_PARSE, "truncated");
  a = make_npy (2, "{}", NULL, 0);
  g_byte_array_set_size (a, 11);
  expect_error (a->data, a->len, GNET_ERROR_PARSE, "truncated");
  g_byte_array_unref (a);

  /* Data shorter or longer than the shape says. */
  expect_error ((const guint8 *) NUMPY_F32, sizeof NUMPY_F32 - 2,
      GNET_ERROR_PARSE, "truncated");
  expect_npy_error (1,
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 25,
      GNET_ERROR_PARSE, "unexpected bytes");

  /* A small file declaring a huge array is refused before allocating. */
  expect_npy_error (1,
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }",
      16, GNET_ERROR_PARSE, "truncated");
  expect_npy_error (1,
      "{'descr': '<f4', 'fortran_order': False, "
      "'shape': (4294967296, 4294967296, 4294967296), }", 16,
      GNET_ERROR_PARSE, "overflow");
  expect_npy_error (1,
      "{'descr': '<f4', 'fortran_order': False, "
      "'shape': (99999999999999999999,), }", 16, GNET_ERROR_PARSE, "shape");

  /* Unsupported but valid files. */
  expect_npy_error (1,
      "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24,
      GNET_ERROR_UNSUPPORTED, "Fortran");
  expect_npy_error (1,
      "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 24,
      GNET_ERROR_UNSUPPORTED, "<f8");
  expect_npy_error (1,
      "{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }", 12,
      GNET_ERROR_UNSUPPORTED, ">f4");
  expect_npy_error (1,
      "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", 3,
      GNET_ERROR_UNSUPPORTED, "|u1");
  expect_npy_error (1,
      "{'descr': '<f4', 'fortran_order': False, "
      "'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }", 4,
      GNET_ERROR_UNSUPPORTED, "dimensions");
  expect_npy_error (4,
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 4,
      GNET_ERROR_UNSUPPORTED, "version");

  /* Malformed dicts. */
  expect_npy_error (1, "", 0, GNET_ERROR_PARSE, "header");
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': False", 0,
      GNET_ERROR_PARSE, "header");
  expect_npy_error (1, "['descr', '<f4']", 0, GNET_ERROR_PARSE, "header");
  expect_npy_error (1,
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", 24,
      GNET_ERROR_PARSE, "shape");
  expect_npy_error (1,
      "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 8,
      GNET_ERROR_PARSE, "shape");
  expect_npy_error (1,
      "{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", 8,
      GNET_ERROR_PARSE, "shape");
  expect_npy_error (1,
      "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", 8,
      GNET_ERROR_PARSE, "header");
  expect_npy_error (1,
      "{'descr': <f4, 'fortran_order': False, 'shape': (2,), }", 8,
      GNET_ERROR_PARSE, "header");
  expect_npy_error (1, "{'descr': '<f4', 'shape': (2,), }", 8,
      GNET_ERROR_PARSE, "fortran_order");
  expect_npy_error (1, "{'descr': '<f4', 'fortran_order': False}", 8,
      GNET_ERROR_PARSE, "shape");
  expect_npy_error (1,
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), "
      "'shape': (2,)}", 8, GNET_ERROR_PARSE, "shape");
  expect_npy_error (1,
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8,
      GNET_ERROR_PARSE, "'x'");
  expect_npy_error (1,
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", 8,
      GNET_ERROR_PARSE, "header");
  expect_npy_error (1,
      "{'descr': 'this-descr-is-far-too-long-to-be-real', "
      "'fortran_order': False, 'shape': (2,)}", 8, GNET_ERROR_PARSE, "header");
}

static void
test_io_errors (void)
{
  GnetTensor t = { 0 };
  GError *error = NULL;
  const gfloat v = 1.0f;
  GnetTensor small = { GNET_DTYPE_FLOAT32, 1, {1}, (gpointer) & v };

  g_assert_false (gnet_tensor_load_file ("/nonexistent/dir/x.npy", &t, &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/dir/x.npy"));
  g_clear_error (&error);

  g_assert_false (gnet_tensor_save_npy (&small, "/nonexistent/dir/y.npy",
          &error));
  g_assert_error (error, GNET_ERROR, GNET_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/dir/y.npy"));
  g_clear_error (&error);
}

/* TensorProto: packed here with protobuf-c, the same way onnx writes the
 * test_data_set_*\/input_0.pb files. */
static GBytes *
pack_proto (Onnx__TensorProto * proto)
{
  gsize size = onnx__tensor_proto__get_packed_size (proto);
  guint8 *buf = g_malloc (MAX (size, 1));

  onnx__tensor_proto__pack (proto, buf);
  return g_bytes_new_take (buf, size);
}

static void
test_proto (void)
{
  Onnx__TensorProto proto = ONNX__TENSOR_PROTO__INIT;
  int64_t dims[] = { 2, 3 };
  gfloat values[6] = { 0.5f, -1.0f, 2.0f, 3.5f, -4.25f, 1e-3f };
  int64_t ints[3] = { 7, -1, 1LL << 40 };
  GnetTensor t = { 0 };
  GError *error = NULL;
  GBytes *bytes;

  /* raw_data, as onnx.numpy_helper.from_array writes it. */
  proto.n_dims = 2;
  proto.dims = dims;
  proto.has_data_type = TRUE;
  proto.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  proto.has_raw_data = TRUE;
  proto.raw_data.len = sizeof values;
  proto.raw_data.data = (guint8 *) values;
  bytes = pack_proto (&proto);
  g_assert_true (gnet_tensor_load_bytes (g_bytes_get_data (bytes, NULL),
          g_bytes_get_size (bytes), "raw.pb", &t, &error));
  g_assert_no_error (error);
  g_assert_cmpint (t.dtype, ==, GNET_DTYPE_FLOAT32);
  g_assert_cmpuint (t.ndim, ==, 2);
  g_assert_cmpint (t.dims[0], ==, 2);
  g_assert_cmpint (t.dims[1], ==, 3);
  g_assert_cmpmem (t.data, sizeof values, values, sizeof values);
  gnet_tensor_clear (&t);
  g_bytes_unref (bytes);

  /* The same values in float_data. */
  proto.has_raw_data = FALSE;
  proto.raw_data.len = 0;
  proto.raw_data.data = NULL;
  proto.n_float_data = 6;
  proto.float_data = values;
  bytes = pack_proto (&proto);
  g_assert_true (gnet_tensor_load_bytes (g_bytes_get_data (bytes, NULL),
          g_bytes_get_size (bytes), "floats.pb", &t, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (t.data, sizeof values, values, sizeof values);
  gnet_tensor_clear (&t);
  g_bytes_unref (bytes);

  /* int64_data. */
  proto.n_float_data = 0;
  proto.float_data = NULL;
  proto.n_dims = 1;
  dims[0] = 3;
  proto.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  proto.n_int64_data = 3;
  proto.int64_data = ints;
  bytes = pack_proto (&proto);
  g_assert_true (gnet_tensor_load_bytes (g_bytes_get_data (bytes, NULL),
          g_bytes_get_size (bytes), "ints.pb", &t, &error));
  g_assert_no_error (error);
  g_assert_cmpint (t.dtype, ==, GNET_DTYPE_INT64);
  g_assert_cmpmem (t.data, sizeof ints, ints, sizeof ints);
  gnet_tensor_clear (&t);
  g_bytes_unref (bytes);

  /* bool, stored in int32_data as ONNX does. */
  {
    int32_t flags[3] = { 1, 0, 1 };
    const guint8 expect[3] = { 1, 0, 1 };

    proto.n_int64_data = 0;
    proto.int64_data = NULL;
    proto.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__BOOL;
    proto.n_int32_data = 3;
    proto.int32_data = flags;
    bytes = pack_proto (&proto);
    g_assert_true (gnet_tensor_load_bytes (g_bytes_get_data (bytes, NULL),
            g_bytes_get_size (bytes), "bool.pb", &t, &error));
    g_assert_no_error (error);
    g_assert_cmpint (t.dtype, ==, GNET_DTYPE_BOOL);
    g_assert_cmpmem (t.data, 3, expect, 3);
    gnet_tensor_clear (&t);
    g_bytes_unref (bytes);
  }
}

/* Packs `proto` and checks loading it fails with `code`, naming the file
 * and `reason`. */
static void
expect_proto_error (Onnx__TensorProto * proto, gint code, const gchar * reason)
{
  GBytes *bytes = pack_proto (proto);

  expect_error (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
      code, reason);
  g_bytes_unref (bytes);
}

static void
test_proto_errors (void)
{
  Onnx__TensorProto proto = ONNX__TENSOR_PROTO__INIT;
  int64_t dims[9] = { 2, 3, 1, 1, 1, 1, 1, 1, 1 };
  int64_t ints[5] = { 1, 2, 3, 4, 5 };
  double doubles[6] = { 0 };
  guint8 raw[4] = { 0 };
  /* A protobuf wire type that cannot start a message (group end). */
  const guint8 junk[] = { 0x0c, 0xff, 0xff, 0xff };
  const gchar *text = "hello, this is not a tensor\n";

  expect_error (junk, sizeof junk, GNET_ERROR_PARSE, "TensorProto");
  expect_error ((const guint8 *) text, strlen (text), GNET_ERROR_PARSE, NULL);
  expect_error ((const guint8 *) "", 0, GNET_ERROR_PARSE, "empty");

  /* Values that do not fill the shape: raw_data, then typed fields. */
  proto.n_dims = 2;
  proto.dims = dims;
  proto.has_data_type = TRUE;
  proto.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  proto.has_raw_data = TRUE;
  proto.raw_data.len = sizeof raw;
  proto.raw_data.data = raw;
  expect_proto_error (&proto, GNET_ERROR_PARSE, "raw data");
  proto.has_raw_data = FALSE;
  proto.raw_data.len = 0;
  proto.raw_data.data = NULL;
  proto.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  proto.n_int64_data = 5;
  proto.int64_data = ints;
  expect_proto_error (&proto, GNET_ERROR_PARSE, "values");

  /* A huge declared shape with 4 bytes of data: refused, not allocated. */
  dims[0] = 1000000;
  dims[1] = 1000000;
  proto.n_int64_data = 0;
  proto.int64_data = NULL;
  proto.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  proto.has_raw_data = TRUE;
  proto.raw_data.len = sizeof raw;
  proto.raw_data.data = raw;
  expect_proto_error (&proto, GNET_ERROR_PARSE, NULL);
  dims[0] = -3;
  expect_proto_error (&proto, GNET_ERROR_PARSE, "-3");
  dims[0] = 2;
  dims[1] = 3;

  /* Valid ONNX that gnet does not handle. */
  proto.n_dims = 9;
  expect_proto_error (&proto, GNET_ERROR_UNSUPPORTED, "dimensions");
  proto.n_dims = 2;
  proto.has_raw_data = FALSE;
  proto.raw_data.len = 0;
  proto.raw_data.data = NULL;
  proto.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
  proto.n_double_data = 6;
  proto.double_data = doubles;
  expect_proto_error (&proto, GNET_ERROR_UNSUPPORTED, "float64");
  proto.n_double_data = 0;
  proto.double_data = NULL;
  proto.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  proto.has_data_location = TRUE;
  proto.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  expect_proto_error (&proto, GNET_ERROR_UNSUPPORTED, "external");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tensorio/numpy-written", test_numpy_written);
  g_test_add_func ("/tensorio/versions", test_versions);
  g_test_add_func ("/tensorio/round-trip", test_round_trip);
  g_test_add_func ("/tensorio/npy-errors", test_npy_errors);
  g_test_add_func ("/tensorio/io-errors", test_io_errors);
  g_test_add_func ("/tensorio/proto", test_proto);
  g_test_add_func ("/tensorio/proto-errors", test_proto_errors);
  return g_test_run ();
}
