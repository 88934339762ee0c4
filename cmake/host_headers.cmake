# Header-only dependencies taken from the build host for a cross build (MinGW-w64 on Debian, whose target has
# no Boost or Catch2 of its own). The host's include directory itself is never added: it holds the host's C
# library headers, which must not shadow the target's. Instead a directory of the build tree gets a link to
# just the dependency's own folder (boost/, catch2/).

# Finds `marker` (e.g. boost/version.hpp) on the host, in `hint` or the usual places, and sets `out_dir` to a
# directory of this build holding only `top` (the marker's top folder) of it.
function(pieces_host_headers out_dir marker top hint)
  string(MAKE_C_IDENTIFIER "PIECES_HOST_${top}_INCLUDE_DIR" var)
  find_path(${var} NAMES ${marker} HINTS ${hint} PATHS /usr/local/include /usr/include NO_CMAKE_FIND_ROOT_PATH
    DOC "The build host's include directory holding ${marker}")
  if(NOT ${var})
    message(FATAL_ERROR "Cannot find ${marker} on the build host: set ${var}")
  endif()
  set(dir ${PROJECT_BINARY_DIR}/host_headers/${top})
  file(MAKE_DIRECTORY ${dir})
  file(CREATE_LINK ${${var}}/${top} ${dir}/${top} SYMBOLIC)
  set(${out_dir} ${dir} PARENT_SCOPE)
  set(${out_dir}_FROM ${${var}} PARENT_SCOPE)
endfunction()
