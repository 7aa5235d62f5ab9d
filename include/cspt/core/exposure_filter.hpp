// Electron-exposure (radiation damage) filter of Grant & Grigorieff 2015, cisTEM constants.
#pragma once

namespace cspt {

/// Critical exposure Ne(s) in e/A^2 at spatial frequency s (1/A):
/// Ne = (0.24499 s^-1.6649 + 2.8141) * v, with v = 1.0 at 300 kV, 0.8 at 200 kV, 0.532 at 100 kV
/// (cisTEM electron_dose.cpp) and linear in voltage between those points. Returns +infinity at s = 0.
/// Throws ConfigError for s < 0, a voltage outside [100, 300] kV or non-finite input.
double critical_exposure_e_per_A2(double s_per_A, double voltage_kV);

/// Amplitude attenuation of an image whose exposure runs from prior_e_per_A2 to
/// prior_e_per_A2 + dose_e_per_A2, averaged over that exposure (algorithms.md 3.5):
/// 2Ne / (N_end - N_start) * (exp(-N_start / 2Ne) - exp(-N_end / 2Ne)).
/// A zero dose gives the end-point value exp(-N_start / 2Ne); s = 0 gives 1.
/// Throws ConfigError for negative exposures or frequency, non-finite input or a bad voltage.
double exposure_attenuation(double s_per_A, double prior_e_per_A2, double dose_e_per_A2,
                            double voltage_kV);

}  // namespace cspt
