// SerialEM .mdoc metadata files (IMOD auto-documentation format): globals, titles and [ZValue = k] sections.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cspt::io {

/// One image's section, "[ZValue = k]"; k is the 0-based section in the image file (acquisition
/// order when written by us). Keys stay in file order; values are kept as text.
struct MdocSection {
  int z_value = 0;
  std::vector<std::pair<std::string, std::string>> keys;
};

/// A whole .mdoc: global keys (PixelSpacing, Voltage, ImageFile, ImageSize, DataMode, ...), then
/// title lines, then sections. A title is the text of "[T = <title>]" between "T = " and "]",
/// kept verbatim (SerialEM pads titles with spaces).
struct Mdoc {
  std::vector<std::pair<std::string, std::string>> globals;
  std::vector<std::string> titles;
  std::vector<MdocSection> sections;
};

/// The text write_mdoc writes (acquisition.md 4.1): "Key = value" lines with one space around '=',
/// no trailing spaces, globals first, then each title and each section as its own block, blocks
/// separated by one blank line. Throws IoError on content that cannot be written faithfully: a key
/// that is empty or holds whitespace or '=', a value that is empty, holds a line break or has
/// leading/trailing spaces, a title holding ']' or a line break, a negative ZValue.
std::string format_mdoc(const Mdoc& m);

/// Writes format_mdoc(m) atomically: "<path>.tmp-<pid>" is written, synced and renamed over path.
void write_mdoc(const std::string& path, const Mdoc& m);

/// Parses .mdoc text; `where` names it in messages ("<where>:<line>"). Blank lines and '#' comment
/// lines are skipped, CRLF is accepted, values are trimmed. Throws IoError on a line that is neither
/// "key = value" nor a [T = ...] / [ZValue = k] section header, or on a key after a title but
/// before the first ZValue section.
Mdoc parse_mdoc(const std::string& text, const std::string& where);

/// Reads and parses a .mdoc file; IoError names the path and line.
Mdoc read_mdoc(const std::string& path);

/// SerialEM's DateTime value, "dd-Mon-yyyy  HH:MM:SS" (two spaces, UTC), for a TimeStamp in
/// seconds since 2020-01-01 00:00:00 UTC (fractions are dropped, rounding down).
/// Throws ConfigError on a non-finite timestamp.
std::string serialem_datetime(double timestamp_s_since_2020);

/// The inverse: seconds since 2020-01-01 UTC from "dd-Mon-yyyy  HH:MM:SS" (any spacing; a two-digit
/// year means 20yy). NaN if the text is not such a date.
double parse_serialem_datetime(const std::string& text);

}  // namespace cspt::io
