//! One source of truth: for every status from 400 to 599, a variant that
//! claims it alone is classified by the derive (at compile time, from the
//! table in `apifault-rules`) exactly as the runtime classifies the status
//! (`Retry::for_status` and the resend rule, from the same table).
//!
//! The enum is written out, one variant per status, by the script in this
//! file's last comment; regenerate it the same way if the range changes.

use apifault::{ApiError, FromResponse, ResponseParts, Retry};
use http::{HeaderMap, StatusCode};

#[derive(Debug, ApiError)]
enum EveryStatus {
    #[api(status = 400)]
    S400,
    #[api(status = 401)]
    S401,
    #[api(status = 402)]
    S402,
    #[api(status = 403)]
    S403,
    #[api(status = 404)]
    S404,
    #[api(status = 405)]
    S405,
    #[api(status = 406)]
    S406,
    #[api(status = 407)]
    S407,
    #[api(status = 408)]
    S408,
    #[api(status = 409)]
    S409,
    #[api(status = 410)]
    S410,
    #[api(status = 411)]
    S411,
    #[api(status = 412)]
    S412,
    #[api(status = 413)]
    S413,
    #[api(status = 414)]
    S414,
    #[api(status = 415)]
    S415,
    #[api(status = 416)]
    S416,
    #[api(status = 417)]
    S417,
    #[api(status = 418)]
    S418,
    #[api(status = 419)]
    S419,
    #[api(status = 420)]
    S420,
    #[api(status = 421)]
    S421,
    #[api(status = 422)]
    S422,
    #[api(status = 423)]
    S423,
    #[api(status = 424)]
    S424,
    #[api(status = 425)]
    S425,
    #[api(status = 426)]
    S426,
    #[api(status = 427)]
    S427,
    #[api(status = 428)]
    S428,
    #[api(status = 429)]
    S429,
    #[api(status = 430)]
    S430,
    #[api(status = 431)]
    S431,
    #[api(status = 432)]
    S432,
    #[api(status = 433)]
    S433,
    #[api(status = 434)]
    S434,
    #[api(status = 435)]
    S435,
    #[api(status = 436)]
    S436,
    #[api(status = 437)]
    S437,
    #[api(status = 438)]
    S438,
    #[api(status = 439)]
    S439,
    #[api(status = 440)]
    S440,
    #[api(status = 441)]
    S441,
    #[api(status = 442)]
    S442,
    #[api(status = 443)]
    S443,
    #[api(status = 444)]
    S444,
    #[api(status = 445)]
    S445,
    #[api(status = 446)]
    S446,
    #[api(status = 447)]
    S447,
    #[api(status = 448)]
    S448,
    #[api(status = 449)]
    S449,
    #[api(status = 450)]
    S450,
    #[api(status = 451)]
    S451,
    #[api(status = 452)]
    S452,
    #[api(status = 453)]
    S453,
    #[api(status = 454)]
    S454,
    #[api(status = 455)]
    S455,
    #[api(status = 456)]
    S456,
    #[api(status = 457)]
    S457,
    #[api(status = 458)]
    S458,
    #[api(status = 459)]
    S459,
    #[api(status = 460)]
    S460,
    #[api(status = 461)]
    S461,
    #[api(status = 462)]
    S462,
    #[api(status = 463)]
    S463,
    #[api(status = 464)]
    S464,
    #[api(status = 465)]
    S465,
    #[api(status = 466)]
    S466,
    #[api(status = 467)]
    S467,
    #[api(status = 468)]
    S468,
    #[api(status = 469)]
    S469,
    #[api(status = 470)]
    S470,
    #[api(status = 471)]
    S471,
    #[api(status = 472)]
    S472,
    #[api(status = 473)]
    S473,
    #[api(status = 474)]
    S474,
    #[api(status = 475)]
    S475,
    #[api(status = 476)]
    S476,
    #[api(status = 477)]
    S477,
    #[api(status = 478)]
    S478,
    #[api(status = 479)]
    S479,
    #[api(status = 480)]
    S480,
    #[api(status = 481)]
    S481,
    #[api(status = 482)]
    S482,
    #[api(status = 483)]
    S483,
    #[api(status = 484)]
    S484,
    #[api(status = 485)]
    S485,
    #[api(status = 486)]
    S486,
    #[api(status = 487)]
    S487,
    #[api(status = 488)]
    S488,
    #[api(status = 489)]
    S489,
    #[api(status = 490)]
    S490,
    #[api(status = 491)]
    S491,
    #[api(status = 492)]
    S492,
    #[api(status = 493)]
    S493,
    #[api(status = 494)]
    S494,
    #[api(status = 495)]
    S495,
    #[api(status = 496)]
    S496,
    #[api(status = 497)]
    S497,
    #[api(status = 498)]
    S498,
    #[api(status = 499)]
    S499,
    #[api(status = 500)]
    S500,
    #[api(status = 501)]
    S501,
    #[api(status = 502)]
    S502,
    #[api(status = 503)]
    S503,
    #[api(status = 504)]
    S504,
    #[api(status = 505)]
    S505,
    #[api(status = 506)]
    S506,
    #[api(status = 507)]
    S507,
    #[api(status = 508)]
    S508,
    #[api(status = 509)]
    S509,
    #[api(status = 510)]
    S510,
    #[api(status = 511)]
    S511,
    #[api(status = 512)]
    S512,
    #[api(status = 513)]
    S513,
    #[api(status = 514)]
    S514,
    #[api(status = 515)]
    S515,
    #[api(status = 516)]
    S516,
    #[api(status = 517)]
    S517,
    #[api(status = 518)]
    S518,
    #[api(status = 519)]
    S519,
    #[api(status = 520)]
    S520,
    #[api(status = 521)]
    S521,
    #[api(status = 522)]
    S522,
    #[api(status = 523)]
    S523,
    #[api(status = 524)]
    S524,
    #[api(status = 525)]
    S525,
    #[api(status = 526)]
    S526,
    #[api(status = 527)]
    S527,
    #[api(status = 528)]
    S528,
    #[api(status = 529)]
    S529,
    #[api(status = 530)]
    S530,
    #[api(status = 531)]
    S531,
    #[api(status = 532)]
    S532,
    #[api(status = 533)]
    S533,
    #[api(status = 534)]
    S534,
    #[api(status = 535)]
    S535,
    #[api(status = 536)]
    S536,
    #[api(status = 537)]
    S537,
    #[api(status = 538)]
    S538,
    #[api(status = 539)]
    S539,
    #[api(status = 540)]
    S540,
    #[api(status = 541)]
    S541,
    #[api(status = 542)]
    S542,
    #[api(status = 543)]
    S543,
    #[api(status = 544)]
    S544,
    #[api(status = 545)]
    S545,
    #[api(status = 546)]
    S546,
    #[api(status = 547)]
    S547,
    #[api(status = 548)]
    S548,
    #[api(status = 549)]
    S549,
    #[api(status = 550)]
    S550,
    #[api(status = 551)]
    S551,
    #[api(status = 552)]
    S552,
    #[api(status = 553)]
    S553,
    #[api(status = 554)]
    S554,
    #[api(status = 555)]
    S555,
    #[api(status = 556)]
    S556,
    #[api(status = 557)]
    S557,
    #[api(status = 558)]
    S558,
    #[api(status = 559)]
    S559,
    #[api(status = 560)]
    S560,
    #[api(status = 561)]
    S561,
    #[api(status = 562)]
    S562,
    #[api(status = 563)]
    S563,
    #[api(status = 564)]
    S564,
    #[api(status = 565)]
    S565,
    #[api(status = 566)]
    S566,
    #[api(status = 567)]
    S567,
    #[api(status = 568)]
    S568,
    #[api(status = 569)]
    S569,
    #[api(status = 570)]
    S570,
    #[api(status = 571)]
    S571,
    #[api(status = 572)]
    S572,
    #[api(status = 573)]
    S573,
    #[api(status = 574)]
    S574,
    #[api(status = 575)]
    S575,
    #[api(status = 576)]
    S576,
    #[api(status = 577)]
    S577,
    #[api(status = 578)]
    S578,
    #[api(status = 579)]
    S579,
    #[api(status = 580)]
    S580,
    #[api(status = 581)]
    S581,
    #[api(status = 582)]
    S582,
    #[api(status = 583)]
    S583,
    #[api(status = 584)]
    S584,
    #[api(status = 585)]
    S585,
    #[api(status = 586)]
    S586,
    #[api(status = 587)]
    S587,
    #[api(status = 588)]
    S588,
    #[api(status = 589)]
    S589,
    #[api(status = 590)]
    S590,
    #[api(status = 591)]
    S591,
    #[api(status = 592)]
    S592,
    #[api(status = 593)]
    S593,
    #[api(status = 594)]
    S594,
    #[api(status = 595)]
    S595,
    #[api(status = 596)]
    S596,
    #[api(status = 597)]
    S597,
    #[api(status = 598)]
    S598,
    #[api(status = 599)]
    S599,
    #[api(other)]
    Other {
        #[api(status)]
        status: StatusCode,
    },
}

#[test]
fn the_derive_and_the_runtime_read_one_table() {
    let headers = HeaderMap::new();
    for code in 400..=599_u16 {
        let status = StatusCode::from_u16(code).expect("a status");
        let e = EveryStatus::from_response(ResponseParts::new(status, &headers, b""));
        assert!(
            !matches!(e, EveryStatus::Other { .. }),
            "{code} has its own variant"
        );
        assert_eq!(e.status(), Some(status), "{code}");
        assert_eq!(e.retry(), Retry::for_status(status), "retry of {code}");
        assert_eq!(
            e.retry().as_str(),
            apifault::rules::retry_for_status(code).name(),
            "{code}"
        );
        assert_eq!(
            e.safe_to_resend(),
            apifault::rules::safe_to_resend_status(code),
            "resend of {code}"
        );
    }
}

// Generated with:
// python3 -c 'print("\n".join(f"    #[api(status = {c})]\n    S{c}," for c in range(400, 600)))'
