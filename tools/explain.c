#include "trace.h"
int vmmsim_cmd_vmcs(int argc, char **argv) { (void)argc; (void)argv; return 1; }
int vmmsim_cmd_ept(int argc, char **argv) { (void)argc; (void)argv; return 1; }
