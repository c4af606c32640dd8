# cmake -DIN=file -DOUT=file.cpp -P embed_text.cmake: a C++ file defining
# loadgen::scenario::kBuiltinPeopleJson as the text of IN (raw string literal).
file(READ ${IN} content)
string(FIND "${content}" ")json\"" bad)
if(NOT bad EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter")
endif()
file(WRITE ${OUT} "// Generated from ${IN}; do not edit.\nnamespace loadgen::scenario {\nextern const char* const kBuiltinPeopleJson;\nconst char* const kBuiltinPeopleJson = R\"json(${content})json\";\n}  // namespace loadgen::scenario\n")
