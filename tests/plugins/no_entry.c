/* Test plugin: a shared object without the entry symbol. */
#include <galvani/galvani.h>

int no_entry_here(void);
GLV_PLUGIN_EXPORT int no_entry_here(void)
{
    return 42;
}
