/* main.c - devctl entry point; everything else is in the devctl_cli library. */
#include "command.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
