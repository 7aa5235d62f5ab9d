// bisect-track: the BISECT acquisition tracker. Its subcommands arrive with the tracker issue.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--version") == 0)) {
    std::puts("bisect-track 0.1.0");
    return 0;
  }
  std::fprintf(stderr, "bisect-track: no subcommands yet (plan, start, step, simulate, export, summary "
                       "arrive with the tracker)\n");
  return 2;
}
