//! The l2x program: everything it does is in the library (src/lib.rs).

fn main() {
    l2x::main()
}
