/// @file
/// The library's version, "MAJOR.MINOR.PATCH" (the project() version in CMakeLists.txt).
#pragma once

namespace gatgrad {
const char* version();
}  // namespace gatgrad
