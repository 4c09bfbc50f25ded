//! The host's side of the WIT imports: `http` goes to the host's client, `input-file` reads the
//! one granted file.

use openai_ft_host_logic::messages::{Notice, notice};

use super::store::Host;
use crate::bindings::{input_file, wit_http};
use crate::config::Flavor;
use crate::granted::GrantedFile;

impl wit_http::Host for Host {
    fn flavor(&mut self) -> wit_http::ApiFlavor {
        match self.http.flavor() {
            Flavor::OpenAi => wit_http::ApiFlavor::Openai,
            Flavor::Azure => wit_http::ApiFlavor::Azure,
            Flavor::AzureClassic => wit_http::ApiFlavor::AzureClassic,
        }
    }

    fn api_version(&mut self) -> Option<String> {
        self.http.api_version()
    }

    fn send(&mut self, request: wit_http::Request) -> Result<wit_http::Response, wit_http::Error> {
        self.http.send(&request, self.file.as_ref())
    }
}

impl input_file::Host for Host {
    fn size(&mut self) -> Result<u64, input_file::Error> {
        self.granted().map(GrantedFile::size)
    }

    fn read(&mut self, offset: u64, len: u32) -> Result<Vec<u8>, input_file::Error> {
        self.granted()?
            .read(offset, len)
            .map_err(input_file::Error::Io)
    }
}

impl Host {
    fn granted(&self) -> Result<&GrantedFile, input_file::Error> {
        self.file
            .as_ref()
            .ok_or_else(|| input_file::Error::Denied(notice(&Notice::NoGrant)))
    }
}
