"""The pipeline component: export, train and import jobs run by Step Functions."""
