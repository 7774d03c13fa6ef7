# The Python module (python/): decided before the libraries are made, because a module links
# them into a shared object, so they are then compiled as position-independent code (with
# -fno-semantic-interposition, CMakeLists.txt: the same inlining as without; Debian's compiler
# makes position-independent executables anyway).
# Built by default when Debian's python3-dev, python3-numpy and pybind11-dev are present (the
# interpreter defaults to /usr/bin/python3, the one they belong to: a pyenv or venv python3 first
# on PATH may lack NumPy); skipped, with a message, otherwise and in the sanitizer and cross
# builds, whose module could not load into the machine's interpreter. -DGATGRAD_BUILD_PYTHON=OFF
# leaves it out (its own sources are ~80 s of CPU to compile; PIC costs training nothing:
# docs/python.md, section 1).
option(GATGRAD_BUILD_PYTHON "Build the Python module (python/) when pybind11, Python 3 and NumPy are found" ON)
set(GATGRAD_PYTHON OFF)
if(NOT GATGRAD_BUILD_PYTHON)
  message(STATUS "gatgrad: the Python module is off (GATGRAD_BUILD_PYTHON=OFF)")
elseif(GATGRAD_SANITIZE)
  message(STATUS "gatgrad: no Python module in a sanitizer build (the interpreter is not instrumented)")
elseif(CMAKE_CROSSCOMPILING)
  message(STATUS "gatgrad: no Python module when cross-compiling (the headers found would be this machine's)")
else()
  if(NOT DEFINED Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
    set(Python3_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "The interpreter the Python module is built for")
  endif()
  find_package(Python3 COMPONENTS Interpreter Development.Module NumPy)
  find_package(pybind11 CONFIG QUIET)
  if(Python3_FOUND AND Python3_NumPy_FOUND AND pybind11_FOUND)
    set(GATGRAD_PYTHON ON)
    set(CMAKE_POSITION_INDEPENDENT_CODE ON)
    message(STATUS "gatgrad: the Python module is built for ${Python3_EXECUTABLE} (${Python3_VERSION})")
  else()
    message(STATUS "gatgrad: the Python module is skipped: it needs pybind11-dev, python3-dev and python3-numpy "
                   "(bash scripts/install-deps.sh installs them)")
  endif()
endif()
