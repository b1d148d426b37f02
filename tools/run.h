/* vmmsim run: see run.c. */

#ifndef VMMSIM_TOOLS_RUN_H
#define VMMSIM_TOOLS_RUN_H

int	vmmsim_cmd_run(int argc, char **argv);
int	vmmsim_cmd_replay(int argc, char **argv);

#endif /* VMMSIM_TOOLS_RUN_H */
