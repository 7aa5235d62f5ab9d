// The fuzz harnesses: one function per reader, taking arbitrary bytes. Each feeds the bytes to the
// reader as a user's file would reach it and accepts only two outcomes: the input is read, or it is
// refused with a cspt::Error (the one-line "file: field = value: expected" message). Anything else
// (a crash, a sanitizer report, any other exception escaping, a hang) is a finding.
//
// The same functions run under libFuzzer (fuzz_main.cpp, clang builds with CSPT_FUZZ=ON) and in the
// ordinary suite through cspt_fuzz_replay (replay.cpp), which replays the committed seed corpus and
// every input that once crashed (tests/fuzz/regressions/<target>/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cspt::fuzz {

using Harness = void (*)(const std::uint8_t* data, std::size_t size);

void mrc(const std::uint8_t* data, std::size_t size);      ///< MrcReader: header, sections, volume
void star(const std::uint8_t* data, std::size_t size);     ///< STAR parser and the RELION particle reader
void mdoc(const std::uint8_t* data, std::size_t size);     ///< SerialEM .mdoc parser and its import
void config(const std::uint8_t* data, std::size_t size);   ///< YAML config loader against the schema
void imod(const std::uint8_t* data, std::size_t size);     ///< IMOD .tlt/.rawtlt and .xf readers
void project(const std::uint8_t* data, std::size_t size);  ///< project-file reader (edits of a valid file)

/// The harness called `name` ("mrc", "star", ...), or nullptr.
Harness harness_named(std::string_view name);

/// A scratch file holding `size` bytes, private to this process, rewritten on every call; its path.
/// `suffix` gives readers that look at the extension what they expect (".mrc", ".yaml").
std::string scratch_file(const std::uint8_t* data, std::size_t size, const std::string& suffix);

}  // namespace cspt::fuzz
