//! Every flag of `fifteen coverage` and `fifteen site` is a batch manifest key with the same
//! meaning. The flags are read from clap's own command, not from a list kept here: a new
//! flag without a sample value below fails the test, and so does a flag whose key a
//! manifest refuses or reads differently.
//!
//! For each flag: a manifest job with the flag's key (its long name with `_` for `-`) and a
//! job with the same run as a command line must resolve to equal configurations, and that
//! configuration must differ from the one without the flag (the key was not ignored).

use std::ffi::OsString;
use std::path::Path;

use clap::{ArgAction, Parser};
use fifteen::batch::{Job, JobCommand, JobConfig, Manifest};
use fifteen::cli::{Cli, Command};

/// A value for a flag: as TOML, as the command line gives it, and the other flags (long
/// name, value) it needs to have an effect.
struct Sample {
    toml: &'static str,
    cli: &'static str,
    with: &'static [(&'static str, &'static str)],
}

const fn sample(toml: &'static str, cli: &'static str) -> Sample {
    Sample {
        toml,
        cli,
        with: &[],
    }
}

/// Sample values by argument id. Files are created in the test's folder.
fn sample_for(id: &str) -> Option<Sample> {
    Some(match id {
        "categories" => sample(r#"["park", "school"]"#, "park"),
        "facility_tags" => sample(r#""amenity=library""#, "amenity=library"),
        "custom_name" => Sample {
            with: &[("facility-tags", "amenity=library")],
            ..sample(r#""libraries""#, "libraries")
        },
        "facilities" => sample(r#""register.csv""#, "register.csv"),
        "facility_crs" => Sample {
            with: &[("facilities", "register.csv")],
            ..sample(r#""gcj02""#, "gcj02")
        },
        "minutes" => sample("[5, 10, 15]", "5,10,15"),
        "meters" => sample("[300, 500]", "300,500"),
        "life_circle" => sample(r#""gb50180""#, "gb50180"),
        "profiles" => sample(r#""stroller""#, "stroller"),
        "speed_kmh" => sample("3.2", "3.2"),
        "elevation" => sample(r#""tiles""#, "tiles"),
        "max_snap_m" => sample("100", "100"),
        "search_minutes" => sample("60", "60"),
        "floor_area_per_person_m2" => sample("42.5", "42.5"),
        "country" => sample(r#""CN""#, "CN"),
        "population" => sample(r#""people.geojson""#, "people.geojson"),
        "population_field" => Sample {
            with: &[("population", "people.geojson")],
            ..sample(r#""residents""#, "residents")
        },
        "grid_block_m" => sample("300", "300"),
        "population_raster" => sample(r#""people.tif""#, "people.tif"),
        "raster_search_m" => sample("120", "120"),
        "census" => sample(r#""census.csv""#, "census.csv"),
        "census_key" => Sample {
            with: &[("census", "census.csv")],
            ..sample(r#""代码""#, "代码")
        },
        "census_residents" => Sample {
            with: &[("census", "census.csv")],
            ..sample(r#""常住人口""#, "常住人口")
        },
        "census_under3" => Sample {
            with: &[("census", "census.csv")],
            ..sample(r#""0-3岁""#, "0-3岁")
        },
        "census_level" => Sample {
            with: &[("census", "census.csv")],
            ..sample(r#""district""#, "district")
        },
        "census_strict" => Sample {
            with: &[("census", "census.csv")],
            ..sample("true", "")
        },
        "population_total" => sample("37366", "37366"),
        "under1_raster" => sample(r#"["f0.tif", "m0.tif"]"#, "f0.tif"),
        "age1to4_raster" => sample(r#""f1.tif""#, "f1.tif"),
        "area_buffer_m" => sample("30", "30"),
        "area_cell_m" => sample("20", "20"),
        "default_capacity" => sample("30", "30"),
        "decay_weights" => sample("0.5", "0.5"),
        "target_places_per_1000" => sample("5.5", "5.5"),
        "target_affordable_share" => sample("0.5", "0.5"),
        "target_subdistrict_share" => sample("0.8", "0.8"),
        "target_covered_share" => sample("0.75", "0.75"),
        "target_toddler_class_share" => sample("0.3", "0.3"),
        "district_level" => sample("5", "5"),
        "subdistrict_level" => sample("9", "9"),
        "units" => sample(r#""units.geojson""#, "units.geojson"),
        "unit_name_field" => Sample {
            with: &[("units", "units.geojson")],
            ..sample(r#""NAME""#, "NAME")
        },
        "format" => sample(r#""fgb""#, "fgb"),
        "lang" => sample(r#""zh""#, "zh"),
        "threads" => sample("2", "2"),
        "quiet" => sample("true", ""),
        "candidates" => sample(r#"["public-buildings", "sites.csv"]"#, "public-buildings"),
        "candidate_tags" => sample(r#""amenity=community_centre""#, "amenity=community_centre"),
        "spacing_m" => sample("200", "200"),
        "add" => sample("3", "3"),
        "target_share" => sample("0.9", "0.9"),
        "site_capacity" => sample("40", "40"),
        "under3_share" => sample("0.02", "0.02"),
        "demand_per_1000" => Sample {
            with: &[("site-capacity", "40")],
            ..sample("20", "20")
        },
        "exact" => sample("true", ""),
        _ => return None,
    })
}

/// The flags every job of `command` gets, as (long name, value): a category, and a stopping
/// rule for `site`.
fn base_flags(command: JobCommand, id: &str) -> Vec<(&'static str, &'static str)> {
    let mut flags = Vec::new();
    if !matches!(id, "categories" | "facility_tags" | "custom_name") {
        flags.push(("category", "childcare"));
    }
    if command == JobCommand::Site && id != "add" {
        flags.push(("add", "1"));
    }
    flags
}

/// The job as a manifest gives it, and as a command line gives it (files relative to `dir`).
fn job_pair(
    dir: &Path,
    command: JobCommand,
    flags: &[(String, String, String)],
) -> (Job, Vec<OsString>) {
    let mut toml = format!(
        "[[job]]\nname = \"j\"\ncommand = \"{}\"\ninput = \"town.osm.pbf\"\nout = \"out\"\n",
        command.name()
    );
    let mut cli: Vec<OsString> = vec![
        "fifteen".into(),
        command.name().into(),
        dir.join("town.osm.pbf").into(),
        "--out".into(),
        dir.join("out").into(),
    ];
    let mut arrays: Vec<(String, Vec<String>)> = Vec::new();
    for (long, toml_value, cli_value) in flags {
        let key = long.replace('-', "_");
        let long = long.as_str();
        // a repeated flag in `with` and in the sample (e.g. two `category`) makes a list
        match arrays.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(toml_value.clone()),
            None => arrays.push((key, vec![toml_value.clone()])),
        }
        cli.push(format!("--{long}").into());
        if !cli_value.is_empty() {
            // files are given relative to the manifest; the command line gets full paths
            let file = dir.join(cli_value);
            cli.push(if file.exists() {
                file.into()
            } else {
                cli_value.into()
            });
        }
    }
    for (key, values) in arrays {
        match values.as_slice() {
            [one] => toml.push_str(&format!("{key} = {one}\n")),
            many => toml.push_str(&format!("{key} = [{}]\n", many.join(", "))),
        }
    }
    let manifest = Manifest::parse(&toml, &dir.join("jobs.toml"), dir)
        .unwrap_or_else(|e| panic!("{toml}\n{e}"));
    (manifest.jobs[0].clone(), cli)
}

/// Resolves a command line as the binary does.
fn resolve_cli(args: &[OsString]) -> (JobConfig, Option<usize>, bool) {
    let cli = Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    match cli.command {
        Command::Coverage(a) => (
            JobConfig::Coverage(a.options.resolve(&a.input, &a.out).expect("valid")),
            a.threads,
            a.quiet,
        ),
        Command::Site(a) => {
            let run = &a.coverage;
            let config = a.site.resolve(&run.options, &run.input, &run.out);
            (
                JobConfig::Site(config.expect("valid")),
                run.threads,
                run.quiet,
            )
        }
        _ => unreachable!("coverage or site"),
    }
}

fn resolve_job(job: &Job) -> (JobConfig, Option<usize>, bool) {
    let config = job
        .resolve()
        .unwrap_or_else(|e| panic!("{:?}: {e}", job.options));
    (config, job.threads, job.quiet)
}

#[test]
fn every_coverage_and_site_flag_is_a_manifest_key_with_the_same_meaning() {
    let dir = tempfile::tempdir().expect("temp dir");
    for file in [
        "register.csv",
        "people.geojson",
        "units.geojson",
        "sites.csv",
        "town.osm.pbf",
        "people.tif",
        "census.csv",
        "f0.tif",
        "m0.tif",
        "f1.tif",
    ] {
        std::fs::write(dir.path().join(file), "").expect("write");
    }
    std::fs::create_dir(dir.path().join("tiles")).expect("mkdir");
    let mut checked = 0;
    let mut missing = Vec::new();
    for command in [JobCommand::Coverage, JobCommand::Site] {
        for arg in command.clap_command().get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version" | "input" | "out") {
                continue;
            }
            let Some(sample) = sample_for(id) else {
                missing.push(format!("{} --{id}", command.name()));
                continue;
            };
            let long = arg.get_long().expect("options have long flags");
            let base = base_flags(command, id);
            let owned = |(l, v): &(&str, &str)| {
                let toml = if v.parse::<f64>().is_ok() {
                    v.to_string()
                } else {
                    format!("\"{v}\"")
                };
                (l.to_string(), toml, v.to_string())
            };
            let mut without: Vec<(String, String, String)> = base.iter().map(owned).collect();
            without.extend(sample.with.iter().map(owned));
            let mut with = without.clone();
            let cli_value = match arg.get_action() {
                ArgAction::SetTrue => String::new(),
                _ => sample.cli.to_string(),
            };
            with.push((long.to_string(), sample.toml.to_string(), cli_value));

            let (job, cli) = job_pair(dir.path(), command, &with);
            let from_manifest = resolve_job(&job);
            // the TOML list in the sample is what the flag gives when repeated
            let cli = expand_lists(cli, long, sample.toml, dir.path());
            let from_cli = resolve_cli(&cli);
            assert_eq!(
                from_manifest,
                from_cli,
                "{} --{long}: the manifest key `{}` means something else than the flag",
                command.name(),
                long.replace('-', "_")
            );
            // (without a category the job does not resolve at all)
            let (base_job, _) = job_pair(dir.path(), command, &without);
            let base = base_job
                .resolve()
                .ok()
                .map(|c| (c, base_job.threads, base_job.quiet));
            assert_ne!(
                base,
                Some(from_manifest),
                "{} --{long}: the manifest key changed nothing",
                command.name()
            );
            checked += 1;
        }
    }
    assert!(
        missing.is_empty(),
        "flags without a sample value in this test: {missing:?}"
    );
    // coverage's 33 flags (less input and out), and site's with its 9 own
    assert!(checked >= 60, "checked only {checked} flags");
}

/// A sample given as a TOML list (`["park", "school"]`) is the flag repeated (or joined by
/// its delimiter, as `--minutes 5,10,15` and `--meters 300,500` already are).
fn expand_lists(mut cli: Vec<OsString>, long: &str, toml: &str, dir: &Path) -> Vec<OsString> {
    let Some(inner) = toml.strip_prefix('[').and_then(|t| t.strip_suffix(']')) else {
        return cli;
    };
    if long == "minutes" || long == "meters" {
        return cli;
    }
    let flag = OsString::from(format!("--{long}"));
    let at = cli.iter().rposition(|a| *a == flag).expect("flag given");
    cli.drain(at..at + 2);
    for item in inner.split(',') {
        let item = item.trim().trim_matches('"');
        let file = dir.join(item);
        cli.push(flag.clone());
        cli.push(if file.exists() {
            file.into()
        } else {
            item.into()
        });
    }
    cli
}

#[test]
fn a_site_key_in_a_coverage_job_says_so() {
    let dir = Path::new("/base");
    let m = Manifest::parse(
        "[[job]]\nname = \"a\"\ninput = \"x\"\nout = \"o\"\ncategories = \"park\"\nadd = 3\n",
        &dir.join("jobs.toml"),
        dir,
    )
    .expect("valid");
    let e = m.jobs[0].resolve().expect_err("add is site's").to_string();
    assert!(e.contains("unknown option `add`"), "{e}");
    assert!(e.contains("command = \"site\""), "{e}");
}

/// The regression that started it: a manifest job with a register from AMap
/// (`facility_crs = "gcj02"`) failed with "unknown option" though the flag worked.
#[test]
fn facility_crs_is_a_manifest_key() {
    let dir = Path::new("/base");
    let m = Manifest::parse(
        "[[job]]\nname = \"a\"\ninput = \"x\"\nout = \"o\"\nfacilities = \"amap.csv\"\nfacility_crs = \"gcj02\"\n",
        &dir.join("jobs.toml"),
        dir,
    )
    .expect("valid");
    let JobConfig::Coverage(config) = m.jobs[0].resolve().expect("valid") else {
        panic!("a coverage job");
    };
    assert_eq!(
        config.facility_crs,
        fifteen::facilities::crs::FacilityCrs::Gcj02
    );
}
