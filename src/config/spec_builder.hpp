// Short-hand for writing the schema tables: one chained expression per key, e.g.
//   integer("box", "128", "particle box").unit("px").range(16, 1024).even()
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cspt/config/schema.hpp"

namespace cspt::config::build {

/// A KeySpec under construction; each call sets one property and returns the spec for chaining.
class Spec {
 public:
  Spec(KeyType type, std::string key, std::string default_text, std::string doc) {
    s_.type = type;
    s_.key = std::move(key);
    s_.default_text = std::move(default_text);
    s_.doc = std::move(doc);
  }
  Spec& unit(std::string u) { s_.unit = std::move(u); return *this; }
  Spec& at_least(double v) { s_.min = Bound{v, true}; return *this; }   ///< >= v
  Spec& above(double v) { s_.min = Bound{v, false}; return *this; }     ///< > v
  Spec& at_most(double v) { s_.max = Bound{v, true}; return *this; }    ///< <= v
  Spec& below(double v) { s_.max = Bound{v, false}; return *this; }     ///< < v
  Spec& range(double lo, double hi) { return at_least(lo).at_most(hi); }  ///< both ends allowed
  Spec& even() { s_.even = true; return *this; }
  Spec& required() { s_.required = true; return *this; }
  Spec& choices(std::vector<std::string> c) { s_.choices = std::move(c); return *this; }
  operator KeySpec() const { return s_; }  // NOLINT: implicit, so tables read as plain lists

 private:
  KeySpec s_;
};

inline Spec integer(std::string key, std::string def, std::string doc) {
  return {KeyType::integer, std::move(key), std::move(def), std::move(doc)};
}
inline Spec real(std::string key, std::string def, std::string doc) {
  return {KeyType::real, std::move(key), std::move(def), std::move(doc)};
}
inline Spec boolean(std::string key, std::string def, std::string doc) {
  return {KeyType::boolean, std::move(key), std::move(def), std::move(doc)};
}
inline Spec text(std::string key, std::string def, std::string doc) {
  return {KeyType::text, std::move(key), std::move(def), std::move(doc)};
}
inline Spec path_in(std::string key, std::string def, std::string doc) {
  return {KeyType::path_in, std::move(key), std::move(def), std::move(doc)};
}
inline Spec path_out(std::string key, std::string def, std::string doc) {
  return {KeyType::path_out, std::move(key), std::move(def), std::move(doc)};
}
inline Spec choice(std::string key, std::string def, std::vector<std::string> choices, std::string doc) {
  Spec s{KeyType::choice, std::move(key), std::move(def), std::move(doc)};
  s.choices(std::move(choices));
  return s;
}

/// The keys of one section, each stamped with the section's name.
inline std::vector<KeySpec> section(const std::string& name, std::vector<KeySpec> keys) {
  for (auto& k : keys) k.section = name;
  return keys;
}

}  // namespace cspt::config::build
