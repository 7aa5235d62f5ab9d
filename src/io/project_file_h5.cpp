// The HDF5 C API helpers of h5_util.hpp: handles, error-stack messages, attributes and 1-D columns.
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "io/h5_util.hpp"

namespace cspt::io::h5 {

namespace {

constexpr const char* kMissingAttribute = "an attribute of schema v1";

std::string compose(const std::string& field, const std::string& value, const std::string& expectation) {
  return field + " = " + value + ": " + expectation;
}

herr_t keep_innermost(unsigned, const H5E_error2_t* error, void* data) {
  if (error->desc != nullptr && error->desc[0] != '\0') *static_cast<std::string*>(data) = error->desc;
  return 0;
}

std::string class_name(H5T_class_t cls) {
  switch (cls) {
    case H5T_INTEGER: return "an integer";
    case H5T_FLOAT: return "a float";
    case H5T_STRING: return "a string";
    case H5T_COMPOUND: return "a compound";
    default: return "type class " + std::to_string(int(cls));
  }
}

// Variable-length UTF-8 strings: h5dump prints them as text and h5py returns str.
Handle utf8_string_type(const std::string& field, const char* expectation) {
  Handle type = own(H5Tcopy(H5T_C_S1), H5Tclose, field, expectation);
  check(H5Tset_size(type.get(), H5T_VARIABLE), field, expectation);
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), field, expectation);
  return type;
}

void write_raw_attribute(const Node& node, const char* name, hid_t file_type, hid_t space,
                         hid_t mem_type, const void* data) {
  const std::string field = attribute_path(node.path, name);
  Handle attr = own(H5Acreate2(node.id(), name, file_type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                    field, kWriteExpectation);
  if (data != nullptr) check(H5Awrite(attr.get(), mem_type, data), field, kWriteExpectation);
  check(attr.close(), field, kWriteExpectation);
}

void write_scalar_attribute(const Node& node, const char* name, hid_t file_type, hid_t mem_type,
                            const void* data) {
  const std::string field = attribute_path(node.path, name);
  Handle space = own(H5Screate(H5S_SCALAR), H5Sclose, field, kWriteExpectation);
  write_raw_attribute(node, name, file_type, space.get(), mem_type, data);
}

template <class T>
void write_column_of(const Node& group, const char* name, const std::vector<T>& values, hid_t file_type,
                     hid_t mem_type, const char* unit) {
  const std::string field = child_path(group.path, name);
  const hsize_t dims[1] = {hsize_t(values.size())};
  Handle space = own(H5Screate_simple(1, dims, nullptr), H5Sclose, field, kWriteExpectation);
  Node dataset{own(H5Dcreate2(group.id(), name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT),
                   H5Dclose, field, kWriteExpectation),
               field};
  // A zero-length selection needs no write (and HDF5 1.10 refuses a null buffer for it).
  if (!values.empty())
    check(H5Dwrite(dataset.id(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), field,
          kWriteExpectation);
  write_attribute(dataset, "unit", std::string(unit));
  check(dataset.handle.close(), field, kWriteExpectation);
}

// An open attribute with what the readers check: its type class and number of values.
struct Attribute {
  std::string field;
  Handle attr, type;
  H5T_class_t type_class = H5T_NO_CLASS;
  hssize_t count = 0;
};

Attribute open_attribute(const Node& node, const char* name) {
  Attribute a;
  a.field = attribute_path(node.path, name);
  const htri_t exists = H5Aexists(node.id(), name);
  check(exists, a.field, kReadExpectation);
  if (exists == 0) throw Failure(a.field, "missing", kMissingAttribute);
  a.attr = own(H5Aopen(node.id(), name, H5P_DEFAULT), H5Aclose, a.field, kReadExpectation);
  a.type = own(H5Aget_type(a.attr.get()), H5Tclose, a.field, kReadExpectation);
  a.type_class = H5Tget_class(a.type.get());
  Handle space = own(H5Aget_space(a.attr.get()), H5Sclose, a.field, kReadExpectation);
  a.count = H5Sget_simple_extent_npoints(space.get());
  if (a.count < 0) throw Failure(a.field, last_error_message(), kReadExpectation);
  return a;
}

void require_single(const Attribute& a) {
  if (a.count != 1) throw Failure(a.field, std::to_string(a.count) + " values", "a single value");
}

std::vector<std::string> read_strings(const Attribute& a) {
  if (a.type_class != H5T_STRING)
    throw Failure(a.field, class_name(a.type_class) + " attribute", "a string attribute");
  const auto n = std::size_t(a.count);
  std::vector<std::string> out(n);
  if (n == 0) return out;
  Handle mem = own(H5Tcopy(H5T_C_S1), H5Tclose, a.field, kReadExpectation);
  // HDF5 does not convert between character sets, so read in the file's own.
  check(H5Tset_cset(mem.get(), H5Tget_cset(a.type.get())), a.field, kReadExpectation);
  const htri_t variable = H5Tis_variable_str(a.type.get());
  check(variable, a.field, kReadExpectation);
  if (variable > 0) {
    check(H5Tset_size(mem.get(), H5T_VARIABLE), a.field, kReadExpectation);
    std::vector<char*> ptrs(n, nullptr);
    check(H5Aread(a.attr.get(), mem.get(), ptrs.data()), a.field, kReadExpectation);
    for (std::size_t i = 0; i < n; ++i) {
      if (ptrs[i] != nullptr) out[i] = ptrs[i];
      H5free_memory(ptrs[i]);
    }
    return out;
  }
  const std::size_t width = H5Tget_size(a.type.get()) + 1;  // + 1: room for the terminator
  check(H5Tset_size(mem.get(), width), a.field, kReadExpectation);
  check(H5Tset_strpad(mem.get(), H5T_STR_NULLTERM), a.field, kReadExpectation);
  std::vector<char> buffer(n * width, '\0');
  check(H5Aread(a.attr.get(), mem.get(), buffer.data()), a.field, kReadExpectation);
  for (std::size_t i = 0; i < n; ++i) out[i] = std::string(buffer.data() + i * width);
  return out;
}

H5T_class_t dataset_class(const Node& dataset) {
  Handle type = own(H5Dget_type(dataset.id()), H5Tclose, dataset.path, kReadExpectation);
  return H5Tget_class(type.get());
}

Node open_object(const Node& parent, const std::string& name, H5I_type_t kind, const char* expectation) {
  const std::string path = child_path(parent.path, name);
  if (!has_child(parent, name)) throw Failure(path, "missing", expectation);
  Node node{own(H5Oopen(parent.id(), name.c_str(), H5P_DEFAULT), H5Oclose, path, kReadExpectation), path};
  const H5I_type_t actual = H5Iget_type(node.id());
  if (actual != kind)
    throw Failure(path, actual == H5I_GROUP ? "a group" : actual == H5I_DATASET ? "a dataset" : "another object",
                  expectation);
  return node;
}

}  // namespace

Failure::Failure(std::string field, std::string value, std::string expectation)
    : std::runtime_error(compose(field, value, expectation)),
      field_(std::move(field)),
      value_(std::move(value)),
      expectation_(std::move(expectation)) {}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    close();
    id_ = std::exchange(other.id_, -1);
    closer_ = other.closer_;
  }
  return *this;
}

herr_t Handle::close() noexcept {
  if (id_ < 0) return 0;
  const herr_t status = closer_(id_);
  id_ = -1;
  return status;
}

std::unique_lock<std::mutex> lock_library() {
  static std::mutex mutex;
  return std::unique_lock<std::mutex>(mutex);
}

void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string last_error_message() {
  std::string message;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_innermost, &message);
  return message.empty() ? "HDF5 error" : message;
}

Handle own(hid_t id, Handle::Closer closer, const std::string& field, const char* expectation) {
  if (id < 0) throw Failure(field, last_error_message(), expectation);
  return Handle(id, closer);
}

void check(herr_t status, const std::string& field, const char* expectation) {
  if (status < 0) throw Failure(field, last_error_message(), expectation);
}

Handle file_access_properties(const std::string& field, const char* expectation) {
  Handle fapl = own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, field, expectation);
  check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), field, expectation);
  check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI), field, expectation);
#if H5_VERSION_GE(1, 10, 7)
  check(H5Pset_file_locking(fapl.get(), true, true), field, expectation);
#endif
  return fapl;
}

std::string child_path(const std::string& parent, const std::string& name) {
  return parent == "/" ? "/" + name : parent + "/" + name;
}

std::string attribute_path(const std::string& object, const std::string& name) {
  return object + "@" + name;
}

// ---- writing ------------------------------------------------------------------------------------

Node create_group(const Node& parent, const std::string& name) {
  const std::string path = child_path(parent.path, name);
  return Node{own(H5Gcreate2(parent.id(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                  path, kWriteExpectation),
              path};
}

void write_attribute(const Node& node, const char* name, int value) {
  write_scalar_attribute(node, name, H5T_STD_I32LE, H5T_NATIVE_INT, &value);
}

void write_attribute(const Node& node, const char* name, double value) {
  write_scalar_attribute(node, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void write_attribute(const Node& node, const char* name, const std::string& value) {
  const Handle type = utf8_string_type(attribute_path(node.path, name), kWriteExpectation);
  const char* data = value.c_str();
  write_scalar_attribute(node, name, type.get(), type.get(), &data);
}

void write_attribute(const Node& node, const char* name, const std::vector<std::string>& values) {
  const std::string field = attribute_path(node.path, name);
  const Handle type = utf8_string_type(field, kWriteExpectation);
  const hsize_t dims[1] = {hsize_t(values.size())};
  // An attribute cannot have a zero-length simple dataspace; the null dataspace means "no values".
  Handle space = own(values.empty() ? H5Screate(H5S_NULL) : H5Screate_simple(1, dims, nullptr), H5Sclose,
                     field, kWriteExpectation);
  std::vector<const char*> data;
  for (const auto& v : values) data.push_back(v.c_str());
  write_raw_attribute(node, name, type.get(), space.get(), type.get(), values.empty() ? nullptr : data.data());
}

void write_column(const Node& group, const char* name, const std::vector<double>& values, const char* unit) {
  write_column_of(group, name, values, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, unit);
}

void write_column(const Node& group, const char* name, const std::vector<std::int32_t>& values,
                  const char* unit) {
  write_column_of(group, name, values, H5T_STD_I32LE, H5T_NATIVE_INT32, unit);
}

// ---- reading ------------------------------------------------------------------------------------

void write_table(const Node& group, const char* name, std::size_t rows, const std::vector<double>& row_major,
                 const std::vector<std::string>& columns, const std::vector<std::string>& units) {
  const std::string field = child_path(group.path, name);
  const hsize_t dims[2] = {hsize_t(rows), hsize_t(columns.size())};
  Handle space = own(H5Screate_simple(2, dims, nullptr), H5Sclose, field, kWriteExpectation);
  Node dataset{own(H5Dcreate2(group.id(), name, H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                   H5Dclose, field, kWriteExpectation),
               field};
  if (!row_major.empty())
    check(H5Dwrite(dataset.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, row_major.data()), field,
          kWriteExpectation);
  write_attribute(dataset, "columns", columns);
  write_attribute(dataset, "units", units);
  check(dataset.handle.close(), field, kWriteExpectation);
}

std::vector<double> read_table(const Node& dataset, std::size_t& rows, std::size_t& columns) {
  const H5T_class_t cls = dataset_class(dataset);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    throw Failure(dataset.path, class_name(cls) + " dataset", "a numeric (float64) table");
  const Handle space = own(H5Dget_space(dataset.id()), H5Sclose, dataset.path, kReadExpectation);
  hsize_t dims[2] = {0, 0};
  if (H5Sget_simple_extent_ndims(space.get()) != 2 || H5Sget_simple_extent_dims(space.get(), dims, nullptr) != 2)
    throw Failure(dataset.path, "not 2-D", "a table of rows x columns");
  rows = std::size_t(dims[0]), columns = std::size_t(dims[1]);
  std::vector<double> values(rows * columns);
  if (!values.empty())
    check(H5Dread(dataset.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), dataset.path,
          kReadExpectation);
  return values;
}

void write_text(const Node& group, const char* name, const std::string& text) {
  const std::string field = child_path(group.path, name);
  const Handle type = utf8_string_type(field, kWriteExpectation);
  Handle space = own(H5Screate(H5S_SCALAR), H5Sclose, field, kWriteExpectation);
  Node dataset{own(H5Dcreate2(group.id(), name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                   H5Dclose, field, kWriteExpectation),
               field};
  const char* data = text.c_str();
  check(H5Dwrite(dataset.id(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &data), field, kWriteExpectation);
  check(dataset.handle.close(), field, kWriteExpectation);
}

std::string read_text(const Node& dataset) {
  const Handle type = own(H5Dget_type(dataset.id()), H5Tclose, dataset.path, kReadExpectation);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0)
    throw Failure(dataset.path, class_name(H5Tget_class(type.get())) + " dataset",
                  "a variable-length string dataset");
  const Handle space = own(H5Dget_space(dataset.id()), H5Sclose, dataset.path, kReadExpectation);
  if (H5Sget_simple_extent_npoints(space.get()) != 1)
    throw Failure(dataset.path, "not a scalar", "a single string");
  Handle mem = own(H5Tcopy(H5T_C_S1), H5Tclose, dataset.path, kReadExpectation);
  check(H5Tset_cset(mem.get(), H5Tget_cset(type.get())), dataset.path, kReadExpectation);
  check(H5Tset_size(mem.get(), H5T_VARIABLE), dataset.path, kReadExpectation);
  char* ptr = nullptr;
  check(H5Dread(dataset.id(), mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &ptr), dataset.path, kReadExpectation);
  std::string out = ptr != nullptr ? std::string(ptr) : std::string();
  H5free_memory(ptr);
  return out;
}

bool has_child(const Node& parent, const std::string& name) {
  const htri_t exists = H5Lexists(parent.id(), name.c_str(), H5P_DEFAULT);
  check(exists, child_path(parent.path, name), kReadExpectation);
  return exists > 0;
}

std::size_t child_count(const Node& group) {
  H5G_info_t info;
  check(H5Gget_info(group.id(), &info), group.path, kReadExpectation);
  return std::size_t(info.nlinks);
}

Node open_group(const Node& parent, const std::string& name) {
  return open_object(parent, name, H5I_GROUP, "a group of schema v1");
}

Node open_dataset(const Node& parent, const std::string& name) {
  return open_object(parent, name, H5I_DATASET, "a dataset of schema v1");
}

int read_int_attribute(const Node& node, const char* name) {
  const Attribute a = open_attribute(node, name);
  if (a.type_class != H5T_INTEGER)
    throw Failure(a.field, class_name(a.type_class) + " attribute", "an integer attribute");
  require_single(a);
  int value = 0;
  check(H5Aread(a.attr.get(), H5T_NATIVE_INT, &value), a.field, kReadExpectation);
  return value;
}

double read_double_attribute(const Node& node, const char* name) {
  const Attribute a = open_attribute(node, name);
  if (a.type_class != H5T_INTEGER && a.type_class != H5T_FLOAT)
    throw Failure(a.field, class_name(a.type_class) + " attribute", "a numeric attribute");
  require_single(a);
  double value = 0.0;
  check(H5Aread(a.attr.get(), H5T_NATIVE_DOUBLE, &value), a.field, kReadExpectation);
  return value;
}

std::string read_string_attribute(const Node& node, const char* name) {
  const Attribute a = open_attribute(node, name);
  require_single(a);
  return read_strings(a).front();
}

std::vector<std::string> read_string_list_attribute(const Node& node, const char* name) {
  return read_strings(open_attribute(node, name));
}

std::size_t column_length(const Node& dataset) {
  Handle space = own(H5Dget_space(dataset.id()), H5Sclose, dataset.path, kReadExpectation);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  check(rank, dataset.path, kReadExpectation);
  if (rank != 1) throw Failure(dataset.path, std::to_string(rank) + "-D", "a 1-D dataset");
  hsize_t dims[1] = {0};
  check(H5Sget_simple_extent_dims(space.get(), dims, nullptr), dataset.path, kReadExpectation);
  return std::size_t(dims[0]);
}

std::vector<double> read_real_column(const Node& dataset) {
  const H5T_class_t cls = dataset_class(dataset);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER)
    throw Failure(dataset.path, class_name(cls) + " dataset", "a numeric (float64) dataset");
  std::vector<double> values(column_length(dataset));
  if (!values.empty())
    check(H5Dread(dataset.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), dataset.path,
          kReadExpectation);
  return values;
}

std::vector<std::int32_t> read_int_column(const Node& dataset) {
  const H5T_class_t cls = dataset_class(dataset);
  if (cls != H5T_INTEGER) throw Failure(dataset.path, class_name(cls) + " dataset", "an integer (int32) dataset");
  std::vector<std::int32_t> values(column_length(dataset));
  if (!values.empty())
    check(H5Dread(dataset.id(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), dataset.path,
          kReadExpectation);
  return values;
}

}  // namespace cspt::io::h5
