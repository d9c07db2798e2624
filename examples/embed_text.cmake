# cmake -DINPUT=file -DOUTPUT=header.h -DNAME=symbol -P embed_text.cmake: the text of INPUT as
# `static const char NAME[]` in a C header (for the PTX that examples/cuda_import.c loads).
file(READ "${INPUT}" text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\n" "\\n\"\n\"" text "${text}")
file(WRITE "${OUTPUT}" "/* Generated from ${INPUT} by embed_text.cmake. */\nstatic const char ${NAME}[] =\n\"${text}\";\n")
