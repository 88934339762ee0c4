# Windows x86-64 with MinGW-w64 from a Linux host (Debian 12: g++-mingw-w64-x86-64-posix, the POSIX thread
# model that std::thread needs). Boost and Catch2 come from the host's headers (cmake/boost_from_headers.cmake)
# unless Boost_DIR names a Boost built for the target. Programs are linked statically, so they run under Wine
# (Debian: wine64) without any DLL beside them; ctest runs them through it.
#   cmake -S . -B build/mingw -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/mingw-w64-x86_64.cmake -DPIECES_WITH_TLS=OFF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
# Windows 10 and newer (Asio's IOCP and the socket calls it uses); objects past 32767 sections (Asio, Beast).
set(CMAKE_CXX_FLAGS_INIT "-D_WIN32_WINNT=0x0A00 -Wa,-mbig-obj")

find_program(PIECES_WINE NAMES wine64 wine PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(PIECES_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PIECES_WINE})
endif()
