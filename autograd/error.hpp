/// @file
/// Errors thrown by gatgrad. Every message names what was wrong and where (op, file, field).
/// The apps map DataError/Error to exit code 1 and UsageError to exit code 2.
#pragma once
#include <stdexcept>
#include <string>

namespace gatgrad {

/// Any failure inside the library: a shape mismatch, misuse of the tape, a numerical problem.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Bad input data: a broken .npy file, an edge index out of range, a corrupt checkpoint.
struct DataError : Error {
  using Error::Error;
};

/// A bad command-line value or option (apps exit with 2).
struct UsageError : Error {
  using Error::Error;
};

}  // namespace gatgrad
