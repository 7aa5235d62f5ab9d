// Error types: every user-facing error carries where, which field, what value, and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace cspt {

/// A problem with the user's input or environment. The message has one shape:
/// "<where>: <field> = <value>: <expectation>".
class Error : public std::runtime_error {
 public:
  Error(std::string where, std::string field, std::string value, std::string expectation)
      : std::runtime_error(compose(where, field, value, expectation)),
        where_(std::move(where)),
        field_(std::move(field)),
        value_(std::move(value)),
        expectation_(std::move(expectation)) {}

  const std::string& where() const { return where_; }
  const std::string& field() const { return field_; }
  const std::string& value() const { return value_; }
  const std::string& expectation() const { return expectation_; }

  static std::string compose(const std::string& where, const std::string& field,
                             const std::string& value, const std::string& expectation) {
    std::string s = where;
    if (!field.empty()) s += ": " + field;
    if (!value.empty()) s += (field.empty() ? ": " : " = ") + value;
    if (!expectation.empty()) s += ": " + expectation;
    return s;
  }

 private:
  std::string where_, field_, value_, expectation_;
};

/// A file that cannot be read or written, or whose content is malformed.
class IoError : public Error {
 public:
  using Error::Error;
};

/// A configuration key or command-line flag with a bad value.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// An error that happened on one rank only (its data, its files); that rank reports it.
class RankError : public Error {
 public:
  RankError(const std::string& rank_label, const Error& cause)
      : Error(rank_label + ": " + cause.where(), cause.field(), cause.value(), cause.expectation()) {}
};

/// A rank stopping because another rank failed; the failing rank reports the cause.
class PeerFailure : public Error {
 public:
  explicit PeerFailure(const std::string& rank_label)
      : Error(rank_label, "", "", "stopped because another rank failed") {}
};

/// A bug: an internal invariant that does not hold.
/// The IoError `e` with its field put in the context of a tilt series ("tilt series ts_002, section
/// 24"; "file" when `e` named no field): how a raw stack that cannot be read is reported.
inline IoError in_tilt_series(const Error& e, const std::string& series) {
  return IoError(e.where(), "tilt series " + series + ", " + (e.field().empty() ? std::string("file") : e.field()),
                 e.value(), e.expectation());
}

class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace cspt
