// Which versions an experiment compares, as the experiment list says it ("v5 vs v2"): after a few loop
// iterations one label has had several canaries, and its name alone does not tell them apart.
import type { Experiment } from './types';
import type { VersionNamer } from './version-names';

/** The versions `experiment` compares, treatment first, as an experiment list lists them. */
export function experimentArms(experiment: Experiment): { task: string; version: string }[] {
  return [
    { task: experiment.task, version: experiment.treatment },
    { task: experiment.task, version: experiment.control },
  ];
}

/** "v5 vs v2": the treatment, then the control, named as the page names versions. */
export function armsText(experiment: Experiment, name: VersionNamer): string {
  return `${name(experiment.task, experiment.treatment)} vs ${name(experiment.task, experiment.control)}`;
}
