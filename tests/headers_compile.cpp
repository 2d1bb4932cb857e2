// Compiled as C++17 and as C++20 (tests/CMakeLists.txt): every public header,
// instantiated with the types the documentation uses.
#include <syncmap/string_hash.hpp>
#include <syncmap/sync_map.hpp>

#include <functional>
#include <string>

template class syncmap::sync_map<long, long>;
template class syncmap::sync_map<std::string, std::string, syncmap::string_hash, std::equal_to<>>;
#include <syncmap/checked_map.hpp>

#include <map>
#include <unordered_map>

template class syncmap::checked_map<std::unordered_map<long, long>, syncmap::check_mode::on>;
template class syncmap::checked_map<std::map<long, long>, syncmap::check_mode::sampled>;
