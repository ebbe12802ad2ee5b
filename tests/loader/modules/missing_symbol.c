/* A shared object that is not a handler: no rtw_handler_entry. */
__attribute__((visibility("default"))) int not_a_handler(void);

int not_a_handler(void)
{
	return 42;
}
