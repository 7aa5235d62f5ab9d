// Thin RAII and helper layer over the HDF5 C API for the project file: owned hid_t handles, and
// attribute/column readers and writers that report failures by HDF5 path.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace cspt::io::h5 {

/// A failed HDF5 operation or a schema mismatch, without the file name: field is the HDF5 path
/// ("/optics@voltage_kV" for an attribute). The I/O boundary rethrows it as IoError(file, ...).
class Failure : public std::runtime_error {
 public:
  Failure(std::string field, std::string value, std::string expectation);
  const std::string& field() const { return field_; }
  const std::string& value() const { return value_; }
  const std::string& expectation() const { return expectation_; }

 private:
  std::string field_, value_, expectation_;
};

/// Owns one hid_t and closes it with the matching H5?close. Move-only.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { close(); }

  hid_t get() const { return id_; }
  /// Closes now and returns the library's status (a file close can fail when flushing).
  herr_t close() noexcept;

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

/// An open group or dataset together with its HDF5 path, for error messages.
struct Node {
  Handle handle;
  std::string path;
  hid_t id() const { return handle.get(); }
};

inline const char* const kReadExpectation = "a readable, intact HDF5 project file";
inline const char* const kWriteExpectation = "a writable location with enough free space";

/// Serialises our HDF5 calls: the serial (Debian) build of the library is not thread-safe. Every
/// entry point of the project-file API holds this lock and then calls silence_errors().
std::unique_lock<std::mutex> lock_library();
/// Turns off HDF5's printing of its error stack to stderr (the library never prints).
void silence_errors();
/// The innermost message on HDF5's error stack of this thread ("HDF5 error" if empty).
std::string last_error_message();
/// Throws Failure(field, last_error_message(), expectation) when id < 0; otherwise owns id.
Handle own(hid_t id, Handle::Closer closer, const std::string& field, const char* expectation);
/// Throws Failure(field, last_error_message(), expectation) when status < 0.
void check(herr_t status, const std::string& field, const char* expectation);

/// File-access properties for project files: the HDF5 1.8 object format (so readers as old as 1.8
/// work and large attributes can use dense storage), a close that fails while objects are still
/// open, and file locking that is skipped where the file system does not support it (Lustre, NFS).
Handle file_access_properties(const std::string& field, const char* expectation);

/// "parent/name", with "/" as the root.
std::string child_path(const std::string& parent, const std::string& name);
/// "object@attribute": the notation of NeXus for an attribute of an object.
std::string attribute_path(const std::string& object, const std::string& name);

// ---- writing ----------------------------------------------------------------------------------
Node create_group(const Node& parent, const std::string& name);
void write_attribute(const Node& node, const char* name, int value);
void write_attribute(const Node& node, const char* name, double value);
/// A variable-length UTF-8 string (readable in h5dump).
void write_attribute(const Node& node, const char* name, const std::string& value);
/// A 1-D array of variable-length UTF-8 strings (an empty list gives a null dataspace).
void write_attribute(const Node& node, const char* name, const std::vector<std::string>& values);
/// A 1-D little-endian float64 dataset with a "unit" string attribute.
void write_column(const Node& group, const char* name, const std::vector<double>& values,
                  const char* unit);
/// A 1-D little-endian int32 dataset with a "unit" string attribute.
void write_column(const Node& group, const char* name, const std::vector<std::int32_t>& values,
                  const char* unit);
/// A 2-D little-endian float64 dataset of rows x columns (row-major), with the string-list
/// attributes "columns" and "units" naming and measuring each column.
void write_table(const Node& group, const char* name, std::size_t rows, const std::vector<double>& row_major,
                 const std::vector<std::string>& columns, const std::vector<std::string>& units);
/// A scalar variable-length UTF-8 string dataset (for text too long for an attribute: JSON, logs).
void write_text(const Node& group, const char* name, const std::string& text);

// ---- reading (a missing or mistyped object throws Failure naming its HDF5 path) ---------------
bool has_child(const Node& parent, const std::string& name);
std::size_t child_count(const Node& group);
Node open_group(const Node& parent, const std::string& name);
Node open_dataset(const Node& parent, const std::string& name);
int read_int_attribute(const Node& node, const char* name);
/// Accepts an integer or floating-point attribute.
double read_double_attribute(const Node& node, const char* name);
/// Accepts variable-length and fixed-length strings.
std::string read_string_attribute(const Node& node, const char* name);
std::vector<std::string> read_string_list_attribute(const Node& node, const char* name);
/// The length of a 1-D dataset (throws for any other rank).
std::size_t column_length(const Node& dataset);
/// A 1-D numeric dataset as float64.
std::vector<double> read_real_column(const Node& dataset);
/// The shape (rows, columns) and row-major values of a 2-D numeric dataset, as float64.
std::vector<double> read_table(const Node& dataset, std::size_t& rows, std::size_t& columns);
/// A scalar string dataset written by write_text.
std::string read_text(const Node& dataset);
/// A 1-D integer dataset as int32 (a floating-point dataset is a type error).
std::vector<std::int32_t> read_int_column(const Node& dataset);

}  // namespace cspt::io::h5
