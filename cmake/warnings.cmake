# Warning flags for syncmap's own targets (never for third-party code).
function(syncmap_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wno-sign-conversion)
  if(SYNCMAP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
