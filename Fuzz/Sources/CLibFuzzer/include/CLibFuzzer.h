#ifndef INCIDENTD_CLIBFUZZER_H
#define INCIDENTD_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver, for programs that keep their own main() (SwiftPM renames an
// executable's entry point, so libFuzzer's main() cannot be the program's).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
