//! Every expansion of `#[derive(ApiError)]` starts with this check, naming
//! the version of `apifault::__private` it was written for. Here it names a
//! version no runtime has, as an apifault-macros of another release would:
//! the build fails on the check, saying so, before any helper is misread.

const _: () = {
    use ::apifault::__private as __apifault;
    __apifault::check_version::<__apifault::Expansion<0>>();
};

fn main() {}
