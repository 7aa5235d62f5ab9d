// What a Thermo Fisher (EPU, Tomography, Velox) MRC file's FEI1/FEI2 extended header records about
// the first image: the microscope's own pixel size, defocus readings and voltage.
#pragma once

#include <optional>
#include <string>

#include "cspt/io/mrc.hpp"

namespace cspt::io {

/// Metadata of the first extended-header record, in cspt units; 0 where the file leaves a field
/// out (not finite, zero or implausible).
struct FeiMetadata {
  double pixel_size_A = 0.0;
  double voltage_kV = 0.0;
  /// The objective lens's defocus reading (its zero is wherever focus was last reset) and the
  /// defocus the acquisition software applied, both as underfocus positive (cspt's convention;
  /// the header stores metres with underfocus negative for "Applied defocus").
  double lens_defocus_A = 0.0;
  double applied_underfocus_A = 0.0;
};

/// The FEI metadata of `path`, or nullopt when its EXTTYP is not FEI1/FEI2 or the extended header
/// is shorter than one record's fields read here. Throws IoError when the file cannot be read.
std::optional<FeiMetadata> read_fei_metadata(const std::string& path);

/// The same for a file whose header `h` has been read already.
std::optional<FeiMetadata> read_fei_metadata(const std::string& path, const MrcHeader& h);

}  // namespace cspt::io
