// Entry point of the Pulumi program: `pulumi up` runs this. Pulumi calls the exported
// function and publishes what it returns as the stack outputs.
import { main } from "./stack/program";

export = main;
