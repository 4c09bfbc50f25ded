//! The emulator's tests, in one binary: one module per area of the API.

mod auth;
mod azure;
mod azure_classic;
mod cli;
mod faults;
mod files;
mod jobs;
mod models;
mod pagination;
mod permissions;
mod persistence;
mod scenarios;
