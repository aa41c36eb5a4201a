/*
 * exit0.c - the smallest static program: the target that gbench's forkexec
 * row executes, so that row measures fork + exec + exit + wait and little else.
 */
int
main(void)
{
	return 0;
}
