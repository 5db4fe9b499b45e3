/// mimalloc instead of glibc's malloc: measured by `scripts/bench.sh --ab`
/// (docs/benchmarks.md), less CPU per request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    shiku_api::cli::main()
}
