//! Reading named JSON-RPC parameters, each problem answered as `-32602` naming the parameter.

use serde_json::{Map, Value};

use super::jsonrpc::RpcError;

pub struct Params(Map<String, Value>);

type Result<T> = std::result::Result<T, RpcError>;

fn wrong_type(name: &str, expected: &str) -> RpcError {
    RpcError::invalid_param(name, format!("The parameter must be {expected}."))
}

impl Params {
    pub fn new(map: Map<String, Value>) -> Self {
        Self(map)
    }

    /// The value, with `null` read as absent.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|value| !value.is_null())
    }

    /// The value as sent, `null` included (to tell "remove" from "leave alone").
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    pub fn string(&self, name: &str) -> Result<String> {
        self.optional_string(name)?
            .ok_or_else(|| RpcError::invalid_param(name, "The parameter is required."))
    }

    pub fn optional_string(&self, name: &str) -> Result<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    pub fn optional_bool(&self, name: &str) -> Result<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(_) => Err(wrong_type(name, "true or false")),
        }
    }

    /// A whole number within `min..=max`; numeric strings are accepted too ("2").
    pub fn optional_integer(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>> {
        let number = match self.get(name) {
            None => return Ok(None),
            Some(Value::Number(number)) => number.as_u64().or_else(|| {
                number
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
                    .map(|f| f as u64)
            }),
            Some(Value::String(text)) => text.trim().parse::<u64>().ok(),
            Some(_) => None,
        };
        match number {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(RpcError::invalid_param(
                name,
                format!("The parameter must be a whole number from {min} to {max}."),
            )),
        }
    }

    pub fn object(&self, name: &str) -> Result<Map<String, Value>> {
        self.optional_object(name)?
            .ok_or_else(|| RpcError::invalid_param(name, "The parameter is required."))
    }

    pub fn optional_object(&self, name: &str) -> Result<Option<Map<String, Value>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(object)) => Ok(Some(object.clone())),
            Some(_) => Err(wrong_type(name, "an object")),
        }
    }

    pub fn optional_array(&self, name: &str) -> Result<Option<Vec<Value>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(values)) => Ok(Some(values.clone())),
            Some(_) => Err(wrong_type(name, "an array")),
        }
    }

    /// An array of strings; with `comma_separated`, also one string of names separated by commas.
    pub fn optional_string_list(
        &self,
        name: &str,
        comma_separated: bool,
    ) -> Result<Option<Vec<String>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) if comma_separated => Ok(Some(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            )),
            Some(Value::Array(values)) => values
                .iter()
                .map(|value| {
                    value
                        .as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| wrong_type(name, "an array of strings"))
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(_) => Err(wrong_type(name, "an array of strings")),
        }
    }
}
