# cmake -DIN=file -DOUT=file.cpp -P embed_text.cmake: a C++ file defining
# loadgen::scenario::kBuiltinPeopleJson (or -DNAME=kOther) as the text of IN (raw string literal).
if(NOT NAME)
  set(NAME kBuiltinPeopleJson)
endif()
file(READ ${IN} content)
string(FIND "${content}" ")json\"" bad)
if(NOT bad EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter")
endif()
file(WRITE ${OUT} "// Generated from ${IN}; do not edit.\nnamespace loadgen::scenario {\nextern const char* const ${NAME};\nconst char* const ${NAME} = R\"json(${content})json\";\n}  // namespace loadgen::scenario\n")
