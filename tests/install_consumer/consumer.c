/* An outside program using an installed lavaflow: it knows only the public header. */
#include <lavaflow/lavaflow.h>

#include <stdio.h>

int main(void) {
  lf_context_t *context = NULL;
  lf_identity_t *self = NULL;
  lf_scope_info_t info = {.struct_size = sizeof info};
  if (lf_context_create(NULL, &context) != LF_OK || lf_identity_create(context, NULL, &self) != LF_OK ||
      lf_scope_decide(context, self, self, &info) != LF_OK) {
    fprintf(stderr, "consumer: %s\n", lf_last_error_message());
    return 1;
  }
  printf("consumer: lavaflow %s, scope %s\n", lf_version_string(), lf_scope_level_name(info.level));
  lf_identity_destroy(self);
  lf_context_destroy(context);
  return lf_version_number() == LF_VERSION_NUMBER ? 0 : 2;
}
