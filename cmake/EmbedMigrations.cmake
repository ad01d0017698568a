# glv_embed_migrations(<out.c> <symbol> <dir>)
# Turns <dir>/NNN_name.sql into a C file defining
#   const glv_migration <symbol>[] = { {NNN, "name", "sql"}, ..., {0, 0, 0} };
# so that migrations travel inside the binary or plugin that owns them.
function(glv_embed_migrations out symbol dir)
  file(GLOB sql_files CONFIGURE_DEPENDS "${dir}/*.sql")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DSYMBOL=${symbol} -DDIR=${dir}
            -P "${PROJECT_SOURCE_DIR}/cmake/embed_migrations_run.cmake"
    DEPENDS ${sql_files} "${PROJECT_SOURCE_DIR}/cmake/embed_migrations_run.cmake"
    COMMENT "Embedding migrations from ${dir}")
endfunction()
