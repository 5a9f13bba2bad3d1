// The list of one's apps: times read "3 minutes ago" and stay fresh.
import { keepRelativeTimesFresh } from "./format.js";

keepRelativeTimesFresh();
